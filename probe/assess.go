package probe

import (
	"fmt"
	"strings"

	"github.com/agentic-eval/agentic-eval/vms"
)

// HostIdentity is the host kernel's identity, read by the harness outside
// the sandbox.
type HostIdentity struct {
	BootID        string `json:"boot_id"`
	KernelRelease string `json:"kernel_release"`
}

// Assessment is what the facts say about a sandbox's isolation.
type Assessment struct {
	Boundary vms.Boundary `json:"boundary"`
	// Observed is true when the facts decide the boundary; false when it is
	// the driver's declaration.
	Observed bool      `json:"observed"`
	Basis    string    `json:"basis"` // one sentence: why this class
	Findings []Finding `json:"findings"`
}

// Finding is one hardening weakness seen from inside.
type Finding struct {
	Severity vms.Severity `json:"severity"`
	Finding  string       `json:"finding"` // e.g. "CAP_SYS_ADMIN effective"
	Evidence string       `json:"evidence"`
}

// Assess classifies the boundary and lists hardening findings. Equal boot
// ids and kernel releases observe a shared kernel; a different boot id with
// a kernel release naming gVisor observes a userspace kernel; otherwise the
// driver's declared class stands, labelled declared.
//
// Where the boundary is not a shared kernel, findings about the sandbox's
// own kernel (capabilities, seccomp, module loading, ...) describe that
// kernel, not the host's: they are kept at vms.SeverityInfo. Findings that
// reach the host whatever the kernel (its loopback, a runtime socket) keep
// their severity.
func Assess(host HostIdentity, f Facts, declared vms.Boundary) Assessment {
	a := Assessment{Findings: []Finding{}}
	bootIn, relIn := f.BootID.Value, f.KernelRelease.Value
	evidence := fmt.Sprintf("sandbox boot_id %s, kernel %s; host boot_id %s, kernel %s",
		orUnknown(bootIn, f.BootID.Unknown), orUnknown(relIn, f.KernelRelease.Unknown),
		orUnknown(host.BootID, ""), orUnknown(host.KernelRelease, ""))
	switch {
	case bootIn != "" && host.BootID != "" && bootIn == host.BootID &&
		relIn != "" && relIn == host.KernelRelease:
		a.Boundary, a.Observed = vms.BoundarySharedKernel, true
		a.Basis = "observed: the sandbox sees the host's boot_id and kernel release, so it runs on the host's kernel (" + evidence + ")"
	case bootIn != "" && host.BootID != "" && bootIn != host.BootID &&
		strings.Contains(strings.ToLower(relIn), "gvisor"):
		a.Boundary, a.Observed = vms.BoundaryUserspaceKernel, true
		a.Basis = "observed: the sandbox has its own boot_id and a gVisor kernel release, so a userspace kernel answers its system calls (" + evidence + ")"
	default:
		a.Boundary = declared
		why := "the facts do not decide it"
		switch {
		case bootIn == "" || relIn == "":
			why = "the sandbox's kernel identity could not be read"
		case host.BootID == "" || host.KernelRelease == "":
			why = "the host's kernel identity is not known"
		case bootIn == host.BootID:
			why = "the boot_id is the host's but the kernel release differs, which is inconsistent"
		case bootIn != host.BootID:
			why = "the sandbox has its own kernel, which a VM and a userspace kernel both show"
		}
		a.Basis = fmt.Sprintf("declared by the driver as %s: %s (%s)", orUnknown(string(declared), "no class declared"), why, evidence)
	}

	sharedKernel := a.Boundary == vms.BoundarySharedKernel
	add := func(sev vms.Severity, finding, evidence string, kernelLocal bool) {
		if kernelLocal && !sharedKernel {
			sev = vms.SeverityInfo
			finding += " (inside the sandbox's own kernel)"
		}
		a.Findings = append(a.Findings, Finding{Severity: sev, Finding: finding, Evidence: evidence})
	}

	dangerous := []struct {
		name string
		sev  vms.Severity
	}{
		{"CAP_SYS_ADMIN", vms.SeverityHigh}, {"CAP_SYS_MODULE", vms.SeverityHigh}, {"CAP_SYS_RAWIO", vms.SeverityHigh},
		{"CAP_DAC_READ_SEARCH", vms.SeverityHigh}, {"CAP_SYS_PTRACE", vms.SeverityMedium}, {"CAP_NET_ADMIN", vms.SeverityMedium},
		{"CAP_BPF", vms.SeverityMedium}, {"CAP_PERFMON", vms.SeverityLow}, {"CAP_SYS_BOOT", vms.SeverityMedium},
		{"CAP_SYSLOG", vms.SeverityLow}, {"CAP_NET_RAW", vms.SeverityLow}, {"CAP_MKNOD", vms.SeverityLow},
	}
	for _, d := range dangerous {
		if f.CapEff.Has(d.name) {
			add(d.sev, d.name+" effective", "CapEff "+f.CapEff.Hex, true)
		}
	}
	switch f.Seccomp.Value {
	case "0":
		add(vms.SeverityMedium, "no seccomp filter", "Seccomp: 0", true)
	case "":
		add(vms.SeverityInfo, "seccomp mode unknown", f.Seccomp.Unknown, false)
	}
	if f.NoNewPrivs.Value == "0" {
		add(vms.SeverityLow, "no_new_privs not set", "NoNewPrivs: 0", true)
	}
	if f.UID0HostRoot.Result == Yes && f.EUID == 0 {
		add(vms.SeverityHigh, "uid 0 is host root", f.UID0HostRoot.Evidence, true)
	}
	if f.Processes.Others > 0 {
		add(vms.SeverityMedium, fmt.Sprintf("%d other processes visible", f.Processes.Others), f.Processes.Evidence, true)
	}
	var nonLoopback []string
	for _, n := range f.Interfaces.Names {
		if n != "lo" {
			nonLoopback = append(nonLoopback, n)
		}
	}
	if len(nonLoopback) > 0 {
		add(vms.SeverityLow, "network interfaces besides loopback: "+strings.Join(nonLoopback, ", "), "interfaces "+strings.Join(f.Interfaces.Names, ", "), false)
	}
	checks := []struct {
		c           Check
		sev         vms.Severity
		finding     string
		kernelLocal bool
	}{
		{f.HostLoopback, vms.SeverityHigh, "host loopback reachable", false},
		{f.RuntimeSocket, vms.SeverityHigh, "container runtime socket present", false},
		{f.ProcKcore, vms.SeverityHigh, "/proc/kcore readable", true},
		{f.DevMem, vms.SeverityHigh, "/dev/mem openable", true},
		{f.BlockDeviceOpen, vms.SeverityHigh, "raw block device openable", true},
		{f.BlockDevices, vms.SeverityMedium, "raw block devices present", true},
		{f.ModuleLoad, vms.SeverityHigh, "kernel module loading permitted", true},
		{f.SysWritable, vms.SeverityHigh, "/sys writable", true},
		{f.ProcSysWritable, vms.SeverityHigh, "/proc/sys writable", true},
		{f.SysrqWritable, vms.SeverityHigh, "/proc/sysrq-trigger writable", true},
		{f.CgroupReleaseAgt, vms.SeverityHigh, "cgroup release_agent writable", true},
		{f.Mount, vms.SeverityMedium, "mount(2) permitted", true},
		{f.PtracePID1, vms.SeverityMedium, "ptrace of pid 1 permitted", true},
		{f.UserNS, vms.SeverityMedium, "user namespace creation permitted", true},
		{f.Keyctl, vms.SeverityLow, "keyctl(2) permitted", true},
		{f.Dmesg, vms.SeverityLow, "kernel log readable", true},
		{f.RootWritable, vms.SeverityLow, "rootfs writable", false},
	}
	for _, c := range checks {
		if c.finding == "ptrace of pid 1 permitted" && f.PID == 1 {
			c.sev = vms.SeverityLow // pid 1 is the probe, the sandbox's own init
		}
		if c.c.Result == Yes {
			add(c.sev, c.finding, c.c.Evidence, c.kernelLocal)
		}
	}
	return a
}

func orUnknown(v, why string) string {
	if v != "" {
		return v
	}
	if why != "" {
		return "unknown (" + why + ")"
	}
	return "unknown"
}
