package host

import (
	"regexp"
	"strings"
)

// Answers for Virtualization.Virtualized, and the Hypervisor name when the
// evidence does not give one.
const (
	Yes     = "yes"
	No      = "no"
	Unknown = "unknown"
)

// Virtualization says whether the host is itself a virtual machine, and by
// what, with the evidence read.
type Virtualization struct {
	Virtualized string   `json:"virtualized"` // Yes, No or Unknown
	Hypervisor  string   `json:"hypervisor"`  // as the evidence names it, or Unknown
	Evidence    []string `json:"evidence,omitempty"`
}

// VirtEvidence is the raw material for DetectVirtualization: each field as
// read from the host, empty when absent.
type VirtEvidence struct {
	CPU            CPUInfo // parsed /proc/cpuinfo
	Arch           string  // uname machine, e.g. "x86_64"
	DMIVendor      string  // /sys/class/dmi/id/sys_vendor
	DMIProduct     string  // /sys/class/dmi/id/product_name
	HypervisorType string  // /sys/hypervisor/type
	KernelLog      string  // the kernel log ring buffer (dmesg), if readable
}

// dmiVirtual names the DMI vendors and products that exist only as virtual
// machines. Vendors that also sell bare metal (Amazon EC2 "*.metal",
// Google) are not here: their DMI strings name the hypervisor only when
// other evidence says the host is virtualized.
var dmiVirtual = []struct{ vendor, product, name string }{
	{"QEMU", "", "QEMU"},
	{"", "KVM", "KVM"},
	{"VMware, Inc.", "", "VMware"},
	{"innotek GmbH", "", "VirtualBox"},
	{"Xen", "", "Xen"},
	{"Microsoft Corporation", "Virtual Machine", "Hyper-V"},
	{"Parallels Software International Inc.", "", "Parallels"},
	{"Bochs", "", "Bochs"},
	{"BHYVE", "", "bhyve"},
	{"OpenStack Foundation", "", "OpenStack"},
}

var kernelHypervisorRe = regexp.MustCompile(`Hypervisor detected: ([^\r\n]+)`)

// ParseKernelLogHypervisor returns the hypervisor the kernel identified at
// boot from CPUID ("Hypervisor detected: KVM" on x86), or "".
func ParseKernelLogHypervisor(log string) string {
	m := kernelHypervisorRe.FindStringSubmatch(log)
	if m == nil {
		return ""
	}
	return strings.TrimSpace(m[1])
}

// DetectVirtualization weighs the evidence. It answers Yes when any source
// says so, No only on x86 when cpuinfo lists flags without "hypervisor" and
// nothing else points to a hypervisor (the CPUID bit is defined as zero on
// real hardware), and Unknown otherwise. The hypervisor is named only by a
// source that names it; otherwise it is Unknown.
func DetectVirtualization(e VirtEvidence) Virtualization {
	v := Virtualization{Virtualized: Unknown, Hypervisor: Unknown}
	name := func(n string) {
		if v.Hypervisor == Unknown && n != "" {
			v.Hypervisor = n
		}
	}
	if t := strings.TrimSpace(e.HypervisorType); t != "" {
		v.Virtualized = Yes
		v.Evidence = append(v.Evidence, "/sys/hypervisor/type: "+t)
		name(t)
	}
	if h := ParseKernelLogHypervisor(e.KernelLog); h != "" {
		v.Virtualized = Yes
		v.Evidence = append(v.Evidence, "kernel log: Hypervisor detected: "+h)
		name(h)
	}
	flag := e.CPU.HasFlag("hypervisor")
	if flag {
		v.Virtualized = Yes
		v.Evidence = append(v.Evidence, "cpuinfo: hypervisor flag")
	}
	vendor, product := strings.TrimSpace(e.DMIVendor), strings.TrimSpace(e.DMIProduct)
	if vendor != "" || product != "" {
		v.Evidence = append(v.Evidence, "dmi: "+strings.TrimSpace(vendor+" / "+product))
		for _, d := range dmiVirtual {
			if (d.vendor == "" || d.vendor == vendor) && (d.product == "" || d.product == product) {
				v.Virtualized = Yes
				name(d.name)
				break
			}
		}
		if v.Virtualized == Yes && v.Hypervisor == Unknown && vendor != "" {
			name(vendor)
		}
	}
	if v.Virtualized == Unknown && isX86(e.Arch) && e.CPU.HasFlags && !flag {
		v.Virtualized = No
		v.Hypervisor = ""
		v.Evidence = append(v.Evidence, "cpuinfo: no hypervisor flag")
	}
	return v
}

func isX86(arch string) bool {
	switch arch {
	case "x86_64", "i386", "i486", "i586", "i686", "amd64", "386":
		return true
	}
	return false
}
