// Package host describes the machine a measurement ran on, so that a
// results document says where its figures came from: kernel, OS, CPU,
// memory, boot, KVM, whether the host is itself a virtual machine, and its
// cgroup layout.
//
// Its opinions: a fact is read, never guessed. When the evidence does not
// name a hypervisor the answer is "unknown", not a likely vendor; when KVM
// is not usable the reason says which step failed (no device, no
// permission, wrong API version, VM creation refused), because a /dev/kvm
// that exists is not a /dev/kvm that works (nested guests often expose one
// that cannot create a VM). A fact that could not be read leaves its field
// empty and adds a line to Info.Problems; Collect fails only when its
// context is done or uname(2) fails.
//
// Parsing is separate from reading: ParseCPUInfo, ParseOSRelease,
// ParseMountinfo, CgroupModeOf, CgroupMounts, Mount.CgroupDir and
// ParseKernelLogHypervisor are pure and tested on text recorded from real
// hosts (testdata/). The mount table parser and the cgroup mount helpers
// live here because the mount table is a host fact; package memstat,
// package residue and the drivers use them rather than parse their own.
package host
