// Package crun drives Debian's crun on the project's OCI bundles: the
// "docker/crun" variant of the docker row, beside docker/runc.
//
// Its opinion: crun is runc's job done in C, and the only things worth a
// folder of their own are what crun really does differently on this host.
// There is one: crun refuses a hybrid cgroup host ("cgroups in hybrid mode
// not supported, drop all controllers from cgroupv2"), so on such a host
// every crun command runs in a private mount namespace without the cgroup2
// mount (unshare --mount, then umount), which leaves the host's mount table
// untouched and gives crun the v1 hierarchies it handles. Everything else
// is package ociruntime's.
package crun
