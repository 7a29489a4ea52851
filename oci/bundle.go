package oci

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// SpecVersion is the ociVersion written into config.json: the spec version
// that Debian 12's runc (1.1.5) implements. Every field the bundle uses
// exists in it, and newer runtimes (runsc) accept it.
const SpecVersion = "1.0.2"

// ProbePath is where the probe lives inside the bundle's rootfs.
const ProbePath = "/sandbox-probe"

// DefaultPath is the PATH every sandbox process starts with.
const DefaultPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// Options describe one bundle.
type Options struct {
	// ID names the sandbox; it becomes the hostname when Hostname is "".
	ID string
	// Probe is the host path of the static probe binary, placed in the
	// rootfs as /sandbox-probe: hard-linked when the rootfs is read-only and
	// on the same file system, copied otherwise (a sandbox must never be
	// able to write through to the host's probe).
	Probe string
	// Args are the probe's arguments (after /sandbox-probe).
	Args []string
	// Hostname is the sandbox's hostname ("" means ID).
	Hostname string
	// ReadonlyRootfs mounts the rootfs read-only; /tmp then gets a tmpfs.
	ReadonlyRootfs bool
	// CgroupsPath is "" for the runtime's default, else a path such as
	// "/agentic-eval/<id>".
	CgroupsPath string
	// Env is added to the default PATH.
	Env []string
	// OnImage says the rootfs is an image's tree (see WriteConfig), not
	// one this package wrote: the probe is bind-mounted read-only onto the
	// image's /sandbox-probe, and /work is a fresh writable tmpfs.
	OnImage bool
}

// WorkDir is the writable directory of a sandbox on an image.
const WorkDir = "/work"

// Capabilities are runc's default capability set (`runc spec`).
var Capabilities = []string{"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"}

// MaskedPaths and ReadonlyPaths are runc's defaults (`runc spec`).
var (
	MaskedPaths = []string{
		"/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys",
		"/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
		"/proc/sched_debug", "/sys/firmware", "/proc/scsi",
	}
	ReadonlyPaths = []string{
		"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
	}
)

// rootfsDirs are created in the rootfs: mount points and /etc.
var rootfsDirs = []struct {
	path string
	mode os.FileMode
}{
	{"proc", 0o555}, {"dev", 0o755}, {"sys", 0o555}, {"tmp", os.ModeSticky | 0o777}, {"etc", 0o755},
}

// Spec returns the runtime spec for o, without touching the file system.
func Spec(o Options) *specs.Spec {
	caps := append([]string(nil), Capabilities...)
	s := &specs.Spec{
		Version: SpecVersion,
		Process: &specs.Process{
			Terminal: false,
			User:     specs.User{UID: 0, GID: 0},
			Args:     append([]string{ProbePath}, o.Args...),
			Env:      append([]string{DefaultPath}, o.Env...),
			Cwd:      "/",
			Capabilities: &specs.LinuxCapabilities{
				Bounding:  caps,
				Effective: caps,
				Permitted: caps,
				Ambient:   caps,
			},
			Rlimits:         []specs.POSIXRlimit{{Type: "RLIMIT_NOFILE", Hard: 1024, Soft: 1024}},
			NoNewPrivileges: true,
		},
		Root:     &specs.Root{Path: "rootfs", Readonly: o.ReadonlyRootfs},
		Hostname: hostname(o),
		Mounts: []specs.Mount{
			{Destination: "/proc", Type: "proc", Source: "proc"},
			{Destination: "/dev", Type: "tmpfs", Source: "tmpfs",
				Options: []string{"nosuid", "strictatime", "mode=755", "size=65536k"}},
			{Destination: "/dev/pts", Type: "devpts", Source: "devpts",
				Options: []string{"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}},
			{Destination: "/dev/shm", Type: "tmpfs", Source: "shm",
				Options: []string{"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}},
			{Destination: "/dev/mqueue", Type: "mqueue", Source: "mqueue",
				Options: []string{"nosuid", "noexec", "nodev"}},
			{Destination: "/sys", Type: "sysfs", Source: "sysfs",
				Options: []string{"nosuid", "noexec", "nodev", "ro"}},
		},
		Linux: &specs.Linux{
			CgroupsPath: o.CgroupsPath,
			Resources: &specs.LinuxResources{
				Devices: []specs.LinuxDeviceCgroup{{Allow: false, Access: "rwm"}},
			},
			// A new network namespace with no path: the sandbox gets only
			// its own loopback (down), never the host's network.
			Namespaces: []specs.LinuxNamespace{
				{Type: specs.PIDNamespace},
				{Type: specs.NetworkNamespace},
				{Type: specs.IPCNamespace},
				{Type: specs.UTSNamespace},
				{Type: specs.MountNamespace},
			},
			MaskedPaths:   append([]string(nil), MaskedPaths...),
			ReadonlyPaths: append([]string(nil), ReadonlyPaths...),
		},
	}
	if o.ReadonlyRootfs {
		s.Mounts = append(s.Mounts, specs.Mount{Destination: "/tmp", Type: "tmpfs", Source: "tmpfs",
			Options: []string{"nosuid", "nodev", "mode=1777", "size=65536k"}})
	}
	if o.OnImage {
		s.Mounts = append(s.Mounts,
			specs.Mount{Destination: ProbePath, Type: "bind", Source: o.Probe, Options: []string{"bind", "ro", "nosuid", "nodev"}},
			// Room for the 64 MiB file transfers and the small-files
			// workload; a tmpfs costs only what is written.
			specs.Mount{Destination: WorkDir, Type: "tmpfs", Source: "tmpfs",
				Options: []string{"nosuid", "nodev", "mode=1777", "size=262144k"}})
		s.Process.Cwd = WorkDir
	}
	return s
}

// WriteBundle creates dir/rootfs (the probe as /sandbox-probe, the mount
// points /proc /dev /sys /tmp, /etc/hostname) and dir/config.json, and
// returns the spec it wrote. dir may exist; it must not already hold a
// bundle. On error it removes what it created under dir.
func WriteBundle(dir string, o Options) (*specs.Spec, error) {
	if err := check(o); err != nil {
		return nil, fmt.Errorf("write OCI bundle: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("write OCI bundle %s: %w", o.ID, err)
	}
	rootfs := filepath.Join(dir, "rootfs")
	if err := WriteRootfs(rootfs, o); err != nil {
		return nil, fmt.Errorf("write OCI bundle %s: %w", o.ID, err)
	}
	s, err := WriteConfig(dir, "rootfs", o)
	if err != nil {
		os.RemoveAll(rootfs)
		return nil, fmt.Errorf("write OCI bundle %s: %w", o.ID, err)
	}
	return s, nil
}

// WriteRootfs creates the directory rootfs holding the probe as
// /sandbox-probe, the mount points /proc /dev /sys /tmp and /etc/hostname.
// A rootfs written with ReadonlyRootfs can be shared by many bundles (see
// WriteConfig): runtimes mount it read-only in each sandbox's own mount
// namespace. On error it removes rootfs.
func WriteRootfs(rootfs string, o Options) (err error) {
	if err := check(o); err != nil {
		return fmt.Errorf("write rootfs: %w", err)
	}
	if err := os.Mkdir(rootfs, 0o755); err != nil {
		return fmt.Errorf("write rootfs: %w", err)
	}
	defer func() {
		if err != nil {
			os.RemoveAll(rootfs)
		}
	}()
	for _, d := range rootfsDirs {
		p := filepath.Join(rootfs, d.path)
		if err := os.Mkdir(p, d.mode); err != nil {
			return fmt.Errorf("write rootfs: %w", err)
		}
		// Mkdir is subject to the umask; set the mode exactly (sticky /tmp).
		if err := os.Chmod(p, d.mode); err != nil {
			return fmt.Errorf("write rootfs: %w", err)
		}
	}
	if err := os.WriteFile(filepath.Join(rootfs, "etc", "hostname"), []byte(hostname(o)+"\n"), 0o644); err != nil {
		return fmt.Errorf("write rootfs: %w", err)
	}
	if err := placeProbe(o.Probe, filepath.Join(rootfs, ProbePath), o.ReadonlyRootfs); err != nil {
		return fmt.Errorf("write rootfs: %w", err)
	}
	return nil
}

// WriteConfig writes dir/config.json (Spec(o)) with root.path set to
// rootfs: "rootfs" for a bundle's own, or the absolute path of a rootfs
// shared by several bundles. dir must exist.
func WriteConfig(dir, rootfs string, o Options) (*specs.Spec, error) {
	if err := check(o); err != nil {
		return nil, fmt.Errorf("write OCI config: %w", err)
	}
	s := Spec(o)
	s.Root.Path = rootfs
	b, err := json.MarshalIndent(s, "", "\t")
	if err != nil {
		return nil, fmt.Errorf("write OCI config %s: %w", o.ID, err)
	}
	if err := os.WriteFile(filepath.Join(dir, "config.json"), b, 0o644); err != nil {
		return nil, fmt.Errorf("write OCI config %s: %w", o.ID, err)
	}
	return s, nil
}

func check(o Options) error {
	if o.ID == "" {
		return errors.New("empty ID")
	}
	if o.Probe == "" {
		return fmt.Errorf("%s: empty probe path", o.ID)
	}
	return nil
}

func hostname(o Options) string {
	if o.Hostname != "" {
		return o.Hostname
	}
	return o.ID
}

// placeProbe hard-links src to dst when link is allowed (a read-only rootfs)
// and possible (one file system), or copies it. Either way dst is executable.
func placeProbe(src, dst string, link bool) error {
	fi, err := os.Stat(src)
	if err != nil {
		return fmt.Errorf("probe: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("probe %s: not a regular file", src)
	}
	if link && fi.Mode().Perm()&0o111 == 0o111 {
		if err := os.Link(src, dst); err == nil {
			return nil
		}
	}
	in, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("probe: %w", err)
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o755)
	if err != nil {
		return fmt.Errorf("probe: %w", err)
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return fmt.Errorf("copy probe %s: %w", src, err)
	}
	if err := out.Close(); err != nil {
		return fmt.Errorf("copy probe %s: %w", src, err)
	}
	return nil
}
