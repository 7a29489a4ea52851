// Package docker is the measure.Driver for the Docker Engine: variant
// "docker" of vms.Docker.
//
// Its opinions: the Engine is spoken to through its REST API (the Go client,
// with API-version negotiation), never by running the docker command, because
// that API is the control plane agent stacks actually drive and its errors
// are data. The probe is the container's only process, in an image imported
// from an in-memory rootfs (no registry is reachable, and none is needed);
// containers get no network. The harness's clock starts before the container
// is created, and the probe's output is attached before it is started, so no
// byte of the ready line can be missed or pre-dated.
//
// Nothing is left behind: every container and image carries the run's name
// prefix and the label agentic-eval.run=<run id>; Start removes what it made
// when it fails or is cancelled (finishing in the background when the daemon
// is still answering a cancelled request), Destroy is idempotent and treats
// "no such container" as success, Close removes the run's image and any
// container still there, and the Sweeper finds and removes the leftovers of
// an interrupted run.
//
// Host-side accounting reads /proc (through package memstat): the
// container's host processes are its init process, its descendants and its
// containerd shim; its memory cgroup is the one /proc/<pid>/cgroup and the
// mount table name, so it follows whichever cgroup driver and version the
// daemon uses.
//
// Exec and snapshots go through the same API: an exec of the probe in the
// running container (output demultiplexed, exit code checked), and the
// checkpoint API, which needs the daemon in experimental mode and CRIU on
// the host. Where CRIU fails, the checkpoint's error (the daemon's message
// and CRIU's own first error from the log it names) is the measured result.
//
// Files move through the Engine's archive API too (measure.Copier: PUT and
// GET /containers/{id}/archive, a one-file tar each way, bounded in size).
// On this project's dockerd (Debian's 20.10) the API does not see into a
// tmpfs mount: a copy into the sandbox's /work reports success and lands
// under the mount, out of the container's sight, and a file the probe
// wrote there is not found. The harness checks that per sandbox rather
// than assume it; the fallback is /var/tmp, a directory of the image in
// the container's own writable layer.
package docker
