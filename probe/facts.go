package probe

import (
	"encoding/json"
	"fmt"
	"math/bits"
	"strconv"
	"strings"
)

// FactsSchema versions Facts. A change of meaning or of a field's name
// bumps it.
const FactsSchema = "aeprobe-facts/1"

// Results of a Check.
const (
	Yes     = "yes"
	No      = "no"
	Unknown = "unknown"
)

// Check is one yes/no observation. Every check is phrased as an ability or
// an exposure ("can load a kernel module"), so "yes" is the worse answer.
type Check struct {
	Result string `json:"result"` // Yes, No or Unknown
	// Evidence is the raw observation (the call made and the errno it
	// returned, the file read and what it said) or, for Unknown, why the
	// check could not run.
	Evidence string `json:"evidence"`
}

// Reading is one raw value read inside the sandbox, or why it could not be.
type Reading struct {
	Value   string `json:"value,omitempty"`
	Unknown string `json:"unknown,omitempty"` // the reason, when Value could not be read
}

// Caps is one capability set from /proc/self/status.
type Caps struct {
	Hex     string   `json:"hex,omitempty"`   // as the kernel prints it, e.g. "00000000a80425fb"
	Names   []string `json:"names,omitempty"` // decoded, e.g. "CAP_SYS_ADMIN"
	Unknown string   `json:"unknown,omitempty"`
}

// Has reports whether the set holds the named capability ("CAP_SYS_ADMIN").
func (c Caps) Has(name string) bool {
	for _, n := range c.Names {
		if n == name {
			return true
		}
	}
	return false
}

// Processes is what the sandbox sees in /proc.
type Processes struct {
	Count         int    `json:"count"`          // numeric entries in /proc
	KernelThreads int    `json:"kernel_threads"` // of which kernel threads (PF_KTHREAD)
	Others        int    `json:"others"`         // user processes besides the probe, its ancestors and its children
	Evidence      string `json:"evidence,omitempty"`
	Unknown       string `json:"unknown,omitempty"`
}

// Interfaces are the network interfaces the sandbox has.
type Interfaces struct {
	Names   []string `json:"names,omitempty"` // e.g. "lo", "eth0"
	Unknown string   `json:"unknown,omitempty"`
}

// Facts is what the probe observed inside a sandbox: the isolation battery.
type Facts struct {
	Schema string `json:"schema"` // FactsSchema
	PID    int    `json:"pid"`
	UID    int    `json:"uid"`
	EUID   int    `json:"euid"`

	KernelRelease Reading `json:"kernel_release"` // uname release
	BootID        Reading `json:"boot_id"`        // /proc/sys/kernel/random/boot_id

	CapEff Caps `json:"cap_eff"`
	CapPrm Caps `json:"cap_prm"`
	CapBnd Caps `json:"cap_bnd"`
	// Seccomp is the mode from /proc/self/status: "0" none, "1" strict,
	// "2" filter. SeccompFilters counts the filters (kernel 5.9+).
	Seccomp        Reading `json:"seccomp"`
	SeccompFilters Reading `json:"seccomp_filters"`
	NoNewPrivs     Reading `json:"no_new_privs"`

	UIDMap Reading `json:"uid_map"`
	GIDMap Reading `json:"gid_map"`
	// UID0HostRoot: uid 0 inside maps to uid 0 of the parent user
	// namespace (the host's root when the map is the initial namespace's
	// identity map).
	UID0HostRoot Check `json:"uid0_host_root"`

	Processes  Processes  `json:"processes"`
	Interfaces Interfaces `json:"interfaces"`
	// HostLoopback: a TCP connect to the HOST:PORT the harness gave
	// succeeded. Unknown when none was given.
	HostLoopback Check `json:"host_loopback"`

	RootWritable     Check `json:"root_writable"`        // created and removed a file in /
	TmpWritable      Check `json:"tmp_writable"`         // created and removed a file in /tmp
	ProcKcore        Check `json:"proc_kcore"`           // /proc/kcore opened for reading
	DevMem           Check `json:"dev_mem"`              // /dev/mem opened for reading
	BlockDevices     Check `json:"block_devices"`        // block device nodes in /dev
	BlockDeviceOpen  Check `json:"block_device_open"`    // one of them opened for reading
	ModuleLoad       Check `json:"module_load"`          // finit_module(-1) got past the permission check
	Mount            Check `json:"mount"`                // mounted and unmounted a tmpfs
	PtracePID1       Check `json:"ptrace_pid1"`          // a child process PTRACE_SEIZEd pid 1
	UserNS           Check `json:"userns"`               // a child was cloned into a new user namespace
	SysWritable      Check `json:"sys_writable"`         // access(/sys/kernel/uevent_helper, W_OK)
	ProcSysWritable  Check `json:"proc_sys_writable"`    // access(/proc/sys/kernel/core_pattern, W_OK)
	SysrqWritable    Check `json:"sysrq_writable"`       // access(/proc/sysrq-trigger, W_OK)
	CgroupReleaseAgt Check `json:"cgroup_release_agent"` // a cgroup v1 release_agent writable
	RuntimeSocket    Check `json:"runtime_socket"`       // a container runtime's socket present
	Keyctl           Check `json:"keyctl"`               // keyctl(2) answered
	Dmesg            Check `json:"dmesg"`                // syslog(2) read the kernel log size
}

// ParseFacts decodes a facts message's payload and checks its schema.
func ParseFacts(payload string) (Facts, error) {
	var f Facts
	if err := json.Unmarshal([]byte(payload), &f); err != nil {
		return Facts{}, fmt.Errorf("decode probe facts: %w", err)
	}
	if f.Schema != FactsSchema {
		return Facts{}, fmt.Errorf("decode probe facts: schema %q, want %q", f.Schema, FactsSchema)
	}
	return f, nil
}

// capNames are the kernel's capability names by bit number.
var capNames = []string{
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER",
	"CAP_FSETID", "CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP",
	"CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST",
	"CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER",
	"CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE",
	"CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE",
	"CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD",
	"CAP_LEASE", "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP",
	"CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM",
	"CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF",
	"CAP_CHECKPOINT_RESTORE",
}

// DecodeCaps decodes a capability set as /proc/<pid>/status prints it
// (hexadecimal). Bits without a known name are named "CAP_<n>".
func DecodeCaps(hex string) (Caps, error) {
	hex = strings.TrimSpace(hex)
	v, err := strconv.ParseUint(hex, 16, 64)
	if err != nil {
		return Caps{}, fmt.Errorf("decode capability set %q: %w", hex, err)
	}
	c := Caps{Hex: hex, Names: []string{}}
	for v != 0 {
		b := bits.TrailingZeros64(v)
		v &^= 1 << b
		if b < len(capNames) {
			c.Names = append(c.Names, capNames[b])
		} else {
			c.Names = append(c.Names, "CAP_"+strconv.Itoa(b))
		}
	}
	return c, nil
}

// StatusField returns the value of one "Name:\tvalue" line of a
// /proc/<pid>/status text.
func StatusField(status, name string) (string, bool) {
	for _, line := range strings.Split(status, "\n") {
		k, v, ok := strings.Cut(line, ":")
		if ok && k == name {
			return strings.TrimSpace(v), true
		}
	}
	return "", false
}

// UID0Mapping reads a uid_map or gid_map text and says what id 0 inside
// maps to in the parent user namespace; ok is false when 0 is unmapped or
// the text is not a map.
func UID0Mapping(idMap string) (outside uint64, ok bool) {
	for _, line := range strings.Split(idMap, "\n") {
		f := strings.Fields(line)
		if len(f) != 3 {
			continue
		}
		in, err1 := strconv.ParseUint(f[0], 10, 64)
		out, err2 := strconv.ParseUint(f[1], 10, 64)
		n, err3 := strconv.ParseUint(f[2], 10, 64)
		if err1 != nil || err2 != nil || err3 != nil {
			continue
		}
		if in == 0 && n > 0 {
			return out, true
		}
	}
	return 0, false
}
