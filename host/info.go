package host

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strings"

	"golang.org/x/sys/unix"
)

// Info is the host a run measured, as embedded in a results document.
type Info struct {
	KernelRelease string `json:"kernel_release"` // uname -r
	KernelVersion string `json:"kernel_version"` // uname -v
	Arch          string `json:"arch"`           // uname -m
	OS            string `json:"os"`             // os-release PRETTY_NAME
	CPUModel      string `json:"cpu_model"`
	LogicalCores  int    `json:"logical_cores"` // processors in /proc/cpuinfo
	// UsableCores is how many CPUs this process may run on (its affinity
	// mask), which can be fewer than LogicalCores.
	UsableCores    int            `json:"usable_cores"`
	MemTotalBytes  uint64         `json:"mem_total_bytes"`
	BootID         string         `json:"boot_id"`
	KVM            KVM            `json:"kvm"`
	Virtualization Virtualization `json:"virtualization"`
	Cgroups        Cgroups        `json:"cgroups"`
	GoVersion      string         `json:"go_version"` // the Go toolchain that built the tool
	// Problems lists facts that could not be read, one line each.
	Problems []string `json:"problems,omitempty"`
}

// Paths Collect reads; tests of Collect itself run on the real host.
const (
	procCPUInfo   = "/proc/cpuinfo"
	procMeminfo   = "/proc/meminfo"
	procBootID    = "/proc/sys/kernel/random/boot_id"
	procMountinfo = "/proc/self/mountinfo"
	osRelease     = "/etc/os-release"
	osReleaseAlt  = "/usr/lib/os-release"
	dmiVendor     = "/sys/class/dmi/id/sys_vendor"
	dmiProduct    = "/sys/class/dmi/id/product_name"
	hypervisorTyp = "/sys/hypervisor/type"
	kvmDevice     = "/dev/kvm"
)

// Collect reads the host's facts. A fact that cannot be read is recorded in
// Info.Problems; Collect returns an error only when ctx is done or uname
// itself fails.
func Collect(ctx context.Context) (Info, error) {
	if err := ctx.Err(); err != nil {
		return Info{}, fmt.Errorf("collect host facts: %w", err)
	}
	info := Info{GoVersion: runtime.Version(), UsableCores: runtime.NumCPU()}
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		return Info{}, fmt.Errorf("collect host facts: uname: %w", err)
	}
	info.KernelRelease = unix.ByteSliceToString(u.Release[:])
	info.KernelVersion = unix.ByteSliceToString(u.Version[:])
	info.Arch = unix.ByteSliceToString(u.Machine[:])
	problem := func(format string, a ...any) { info.Problems = append(info.Problems, fmt.Sprintf(format, a...)) }

	if data, err := os.ReadFile(osRelease); err == nil {
		info.OS = OSName(ParseOSRelease(data))
	} else if data, err2 := os.ReadFile(osReleaseAlt); err2 == nil {
		info.OS = OSName(ParseOSRelease(data))
	} else {
		problem("os: %v", err)
	}

	var cpu CPUInfo
	if data, err := os.ReadFile(procCPUInfo); err == nil {
		cpu = ParseCPUInfo(data)
		info.CPUModel = cpu.Model
		info.LogicalCores = cpu.Logical
		if cpu.Model == "" {
			problem("cpu model: %s names no model", procCPUInfo)
		}
	} else {
		problem("cpu: %v", err)
	}

	if data, err := os.ReadFile(procMeminfo); err == nil {
		if total, ok := memTotal(data); ok {
			info.MemTotalBytes = total
		} else {
			problem("memory: no MemTotal in %s", procMeminfo)
		}
	} else {
		problem("memory: %v", err)
	}

	if data, err := os.ReadFile(procBootID); err == nil {
		info.BootID = strings.TrimSpace(string(data))
	} else {
		problem("boot id: %v", err)
	}

	info.KVM = CheckKVM(kvmDevice)

	ev := VirtEvidence{CPU: cpu, Arch: info.Arch}
	ev.DMIVendor = readOptional(dmiVendor)
	ev.DMIProduct = readOptional(dmiProduct)
	ev.HypervisorType = readOptional(hypervisorTyp)
	ev.KernelLog = readKernelLog()
	info.Virtualization = DetectVirtualization(ev)

	if mounts, err := readMountinfo(procMountinfo); err == nil {
		info.Cgroups = CgroupModeOf(mounts)
		if info.Cgroups.V2Mount != "" {
			if data, err := os.ReadFile(info.Cgroups.V2Mount + "/cgroup.controllers"); err == nil {
				info.Cgroups.V2Controllers = strings.Fields(string(data))
				slices.Sort(info.Cgroups.V2Controllers)
			}
		}
	} else {
		problem("cgroups: %v", err)
	}
	return info, nil
}

// memTotal finds MemTotal (kB) in /proc/meminfo text, in bytes. Package
// memstat has the full parser; host keeps its one field without importing
// it.
func memTotal(data []byte) (uint64, bool) {
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "MemTotal:"); ok {
			var kb uint64
			if _, err := fmt.Sscanf(strings.TrimSpace(rest), "%d kB", &kb); err == nil {
				return kb * 1024, true
			}
		}
	}
	return 0, false
}

// readOptional returns a sysfs file's trimmed text, or "" when it is absent
// or unreadable: these files' absence is itself the fact.
func readOptional(path string) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(data))
}

// readKernelLog returns the kernel's log ring buffer, or "" when this
// process may not read it (dmesg_restrict without CAP_SYSLOG).
func readKernelLog() string {
	size, err := unix.Klogctl(unix.SYSLOG_ACTION_SIZE_BUFFER, nil)
	if err != nil || size <= 0 {
		size = 1 << 20
	}
	buf := make([]byte, size)
	n, err := unix.Klogctl(unix.SYSLOG_ACTION_READ_ALL, buf)
	if err != nil || n <= 0 {
		return ""
	}
	return string(bytes.ToValidUTF8(buf[:n], nil))
}
