package host

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestParseCPUInfoReadsModelCoresAndFlags(t *testing.T) {
	c := ParseCPUInfo(readTestdata(t, "cpuinfo-amd-epyc-kvm-guest.txt"))
	if c.Model != "AMD EPYC" {
		t.Errorf("Model = %q, want %q", c.Model, "AMD EPYC")
	}
	if c.Logical != 2 {
		t.Errorf("Logical = %d, want 2", c.Logical)
	}
	if !c.HasFlags || !c.HasFlag("hypervisor") || !c.HasFlag("avx2") {
		t.Errorf("flags: HasFlags=%v hypervisor=%v avx2=%v, want all true", c.HasFlags, c.HasFlag("hypervisor"), c.HasFlag("avx2"))
	}
	if c.HasFlag("vmx") || c.HasFlag("svm") {
		t.Errorf("recorded guest CPU has no vmx/svm flag, parser reports one")
	}
}

func TestParseCPUInfoWithoutModelNameUsesArchitectureLine(t *testing.T) {
	// arm64 layout: a "Processor" banner and numbered "processor" entries.
	text := "Processor\t: AArch64 Processor rev 1 (aarch64)\nprocessor\t: 0\nFeatures\t: fp asimd\n\nprocessor\t: 1\nFeatures\t: fp asimd\n"
	c := ParseCPUInfo([]byte(text))
	if c.Logical != 2 || c.Model != "AArch64 Processor rev 1 (aarch64)" {
		t.Errorf("got Logical=%d Model=%q", c.Logical, c.Model)
	}
	if c.HasFlag("hypervisor") {
		t.Errorf("no hypervisor flag expected")
	}
}

func TestParseOSReleaseUnquotesAndNamesTheSystem(t *testing.T) {
	vars := ParseOSRelease(readTestdata(t, "os-release-debian12.txt"))
	if got := OSName(vars); got != "Debian GNU/Linux 12 (bookworm)" {
		t.Errorf("OSName = %q", got)
	}
	if vars["ID"] != "debian" || vars["VERSION_ID"] != "12" {
		t.Errorf("ID=%q VERSION_ID=%q", vars["ID"], vars["VERSION_ID"])
	}
	quirky := ParseOSRelease([]byte("# comment\nNAME='Single Quoted'\nVERSION=\"1 \\\"beta\\\"\"\nbroken line\n"))
	if got := OSName(quirky); got != `Single Quoted 1 "beta"` {
		t.Errorf("OSName without PRETTY_NAME = %q", got)
	}
}

func TestParseMountinfoRecordedHybridHost(t *testing.T) {
	mounts, err := ParseMountinfo(readTestdata(t, "mountinfo-hybrid.txt"))
	if err != nil {
		t.Fatal(err)
	}
	var memory, unified *Mount
	for i, m := range mounts {
		switch {
		case m.FSType == "cgroup" && m.HasSuperOption("memory"):
			memory = &mounts[i]
		case m.FSType == "cgroup2":
			unified = &mounts[i]
		}
	}
	if memory == nil || memory.Point != "/sys/fs/cgroup/memory" || memory.Root != "/" {
		t.Errorf("memory controller mount = %+v", memory)
	}
	if unified == nil || unified.Point != "/sys/fs/cgroup/unified" {
		t.Errorf("cgroup2 mount = %+v", unified)
	}
	root := mounts[slices.IndexFunc(mounts, func(m Mount) bool { return m.Point == "/" })]
	if root.FSType != "ext4" || root.Source != "/dev/vda" || root.Device != "254:0" || root.ParentID != 1 {
		t.Errorf("root mount = %+v", root)
	}
}

func TestParseMountinfoDecodesEscapesAndOptionalFields(t *testing.T) {
	mounts, err := ParseMountinfo(readTestdata(t, "mountinfo-v2-written.txt"))
	if err != nil {
		t.Fatal(err)
	}
	last := mounts[len(mounts)-1]
	if last.Point != "/home/user/My Files" || last.Source != "my tmp" {
		t.Errorf("escaped mount: point %q source %q", last.Point, last.Source)
	}
	if !slices.Equal(last.Optional, []string{"shared:20"}) {
		t.Errorf("optional fields = %q", last.Optional)
	}
}

func TestParseMountinfoRejectsATruncatedLine(t *testing.T) {
	_, err := ParseMountinfo([]byte("22 27 0:21 / /proc rw,relatime - proc proc rw\n23 27 0:22 / /sys rw\n"))
	if err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("err = %v, want one naming line 2", err)
	}
}

func TestParseMountinfoLeavesAnIncompleteEscapeAlone(t *testing.T) {
	mounts, err := ParseMountinfo([]byte(`40 27 0:35 / /tmp/a\04 rw - tmpfs tmp\040x rw` + "\n"))
	if err != nil {
		t.Fatal(err)
	}
	if mounts[0].Point != `/tmp/a\04` || mounts[0].Source != "tmp x" {
		t.Errorf("point %q source %q", mounts[0].Point, mounts[0].Source)
	}
}

func TestCgroupMountsListsEveryHierarchyOnce(t *testing.T) {
	hybrid, err := ParseMountinfo(readTestdata(t, "mountinfo-hybrid.txt"))
	if err != nil {
		t.Fatal(err)
	}
	var points []string
	for _, m := range CgroupMounts(hybrid) {
		points = append(points, m.Point)
	}
	// The tmpfs at /sys/fs/cgroup that holds the v1 mounts is no hierarchy.
	want := []string{"/sys/fs/cgroup/cpu", "/sys/fs/cgroup/cpuacct", "/sys/fs/cgroup/cpuset", "/sys/fs/cgroup/memory",
		"/sys/fs/cgroup/devices", "/sys/fs/cgroup/freezer", "/sys/fs/cgroup/blkio", "/sys/fs/cgroup/pids",
		"/sys/fs/cgroup/systemd", "/sys/fs/cgroup/unified"}
	if !slices.Equal(points, want) {
		t.Errorf("hybrid host: cgroup mount points %q, want %q", points, want)
	}
	v2, err := ParseMountinfo(readTestdata(t, "mountinfo-v2-written.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if got := CgroupMounts(v2); len(got) != 1 || got[0].Point != "/sys/fs/cgroup" || got[0].FSType != "cgroup2" {
		t.Errorf("v2-only host: cgroup mounts %+v", got)
	}
	// A container's own cgroup mounted over the host's hierarchy at the same
	// point: the later mount is the one seen there.
	over := append(slices.Clone(v2), Mount{ID: 99, Root: "/docker/abc", Point: "/sys/fs/cgroup", FSType: "cgroup2", Source: "cgroup2"})
	if got := CgroupMounts(over); len(got) != 1 || got[0].ID != 99 {
		t.Errorf("mounted-over hierarchy: cgroup mounts %+v", got)
	}
}

func TestCgroupDirMapsPathsUnderTheMountedSubtree(t *testing.T) {
	whole := Mount{FSType: "cgroup", Super: "rw,memory", Root: "/", Point: "/sys/fs/cgroup/memory"}
	if dir, ok := whole.CgroupDir("/agentic-eval/ae-r1-1"); !ok || dir != "/sys/fs/cgroup/memory/agentic-eval/ae-r1-1" {
		t.Errorf("whole hierarchy: %q %v", dir, ok)
	}
	if dir, ok := whole.CgroupDir("/"); !ok || dir != "/sys/fs/cgroup/memory" {
		t.Errorf("root of the whole hierarchy: %q %v", dir, ok)
	}
	// A container sees its own cgroup /docker/abc mounted at the point.
	sub := Mount{FSType: "cgroup2", Root: "/docker/abc", Point: "/sys/fs/cgroup"}
	for cg, want := range map[string]string{"/docker/abc/child": "/sys/fs/cgroup/child", "/docker/abc": "/sys/fs/cgroup", "/docker/abc/": "/sys/fs/cgroup"} {
		if dir, ok := sub.CgroupDir(cg); !ok || dir != want {
			t.Errorf("subtree mount, cgroup %s: %q %v, want %q", cg, dir, ok, want)
		}
	}
	for _, cg := range []string{"/docker/abcdef", "/docker", "/other/x", "/"} {
		if dir, ok := sub.CgroupDir(cg); ok {
			t.Errorf("cgroup %s, outside the mounted subtree /docker/abc, mapped to %q", cg, dir)
		}
	}
}

func TestCgroupModeOfEachLayout(t *testing.T) {
	hybrid, err := ParseMountinfo(readTestdata(t, "mountinfo-hybrid.txt"))
	if err != nil {
		t.Fatal(err)
	}
	v2, err := ParseMountinfo(readTestdata(t, "mountinfo-v2-written.txt"))
	if err != nil {
		t.Fatal(err)
	}
	v1 := slices.DeleteFunc(slices.Clone(hybrid), func(m Mount) bool { return m.FSType == "cgroup2" })
	none := slices.DeleteFunc(slices.Clone(v1), func(m Mount) bool { return m.FSType == "cgroup" })

	h := CgroupModeOf(hybrid)
	if h.Mode != CgroupHybrid || h.V2Mount != "/sys/fs/cgroup/unified" {
		t.Errorf("hybrid host: %+v", h)
	}
	want := []string{"blkio", "cpu", "cpuacct", "cpuset", "devices", "freezer", "memory", "name=systemd", "pids"}
	if !slices.Equal(h.V1Controllers, want) {
		t.Errorf("v1 controllers = %q, want %q", h.V1Controllers, want)
	}
	if got := CgroupModeOf(v2); got.Mode != CgroupV2 || got.V2Mount != "/sys/fs/cgroup" || len(got.V1Controllers) != 0 {
		t.Errorf("v2 host: %+v", got)
	}
	if got := CgroupModeOf(v1); got.Mode != CgroupV1 || got.V2Mount != "" {
		t.Errorf("v1 host: %+v", got)
	}
	if got := CgroupModeOf(none); got.Mode != CgroupNone {
		t.Errorf("no cgroups: %+v", got)
	}
}

func TestDetectVirtualizationNamesOnlyWhatTheEvidenceNames(t *testing.T) {
	guest := ParseCPUInfo(readTestdata(t, "cpuinfo-amd-epyc-kvm-guest.txt"))
	bare := guest
	bare.Flags = slices.DeleteFunc(slices.Clone(guest.Flags), func(f string) bool { return f == "hypervisor" })
	klog := string(readTestdata(t, "kernel-log-kvm-guest.txt"))

	cases := []struct {
		name       string
		ev         VirtEvidence
		virt, hyp  string
		evidenceIn string
	}{
		{"kernel log names KVM", VirtEvidence{CPU: guest, Arch: "x86_64", KernelLog: klog}, Yes, "KVM", "kernel log"},
		{"flag alone names nothing", VirtEvidence{CPU: guest, Arch: "x86_64"}, Yes, Unknown, "cpuinfo: hypervisor flag"},
		{"x86 without the flag is bare metal", VirtEvidence{CPU: bare, Arch: "x86_64"}, No, "", "no hypervisor flag"},
		{"xen sysfs", VirtEvidence{CPU: bare, Arch: "x86_64", HypervisorType: "xen\n"}, Yes, "xen", "/sys/hypervisor/type"},
		{"QEMU DMI", VirtEvidence{CPU: guest, Arch: "x86_64", DMIVendor: "QEMU", DMIProduct: "Standard PC (Q35 + ICH9, 2009)"}, Yes, "QEMU", "dmi: QEMU"},
		{"Hyper-V DMI", VirtEvidence{Arch: "aarch64", DMIVendor: "Microsoft Corporation", DMIProduct: "Virtual Machine"}, Yes, "Hyper-V", "dmi"},
		{"EC2 metal is not a VM by vendor alone", VirtEvidence{CPU: bare, Arch: "x86_64", DMIVendor: "Amazon EC2", DMIProduct: "m5.metal"}, No, "", "dmi: Amazon EC2"},
		{"EC2 guest named by vendor", VirtEvidence{CPU: guest, Arch: "x86_64", DMIVendor: "Amazon EC2", DMIProduct: "m5.large"}, Yes, "Amazon EC2", "dmi"},
		{"arm without evidence is unknown", VirtEvidence{Arch: "aarch64", CPU: ParseCPUInfo([]byte("processor : 0\nFeatures : fp asimd\n"))}, Unknown, Unknown, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v := DetectVirtualization(c.ev)
			if v.Virtualized != c.virt || v.Hypervisor != c.hyp {
				t.Errorf("got virtualized=%q hypervisor=%q, want %q %q (evidence %q)", v.Virtualized, v.Hypervisor, c.virt, c.hyp, v.Evidence)
			}
			if c.evidenceIn != "" && !strings.Contains(strings.Join(v.Evidence, "\n"), c.evidenceIn) {
				t.Errorf("evidence %q lacks %q", v.Evidence, c.evidenceIn)
			}
		})
	}
}

func TestCheckKVMReportsAMissingDevice(t *testing.T) {
	k := CheckKVM(t.TempDir() + "/kvm")
	if k.Present || k.Usable || !strings.Contains(k.Reason, "does not exist") {
		t.Errorf("missing device: %+v", k)
	}
}

func TestCheckKVMReportsADeviceThatIsNotKVM(t *testing.T) {
	// /dev/null opens but answers KVM_GET_API_VERSION with ENOTTY.
	k := CheckKVM("/dev/null")
	if !k.Present || k.Usable || !strings.Contains(k.Reason, "KVM_GET_API_VERSION") {
		t.Errorf("/dev/null as KVM: %+v", k)
	}
}

func TestCollectDescribesThisHost(t *testing.T) {
	info, err := Collect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		t.Fatal(err)
	}
	if info.KernelRelease != unix.ByteSliceToString(u.Release[:]) || info.KernelVersion == "" || info.Arch == "" {
		t.Errorf("kernel: release %q version %q arch %q", info.KernelRelease, info.KernelVersion, info.Arch)
	}
	if info.LogicalCores < 1 || info.UsableCores < 1 || info.UsableCores > info.LogicalCores {
		t.Errorf("cores: logical %d usable %d", info.LogicalCores, info.UsableCores)
	}
	if info.MemTotalBytes == 0 {
		t.Errorf("MemTotalBytes = 0")
	}
	if !regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`).MatchString(info.BootID) {
		t.Errorf("BootID = %q, want a UUID", info.BootID)
	}
	_, statErr := os.Stat("/dev/kvm")
	if info.KVM.Present != (statErr == nil) {
		t.Errorf("KVM.Present = %v but stat /dev/kvm: %v", info.KVM.Present, statErr)
	}
	if info.KVM.Usable != (info.KVM.Reason == "") || (info.KVM.Usable && info.KVM.APIVersion != KVMAPIVersion) {
		t.Errorf("KVM = %+v: usable exactly when no reason, and then API 12", info.KVM)
	}
	if info.Cgroups.Mode == "" || info.Virtualization.Virtualized == "" || info.GoVersion == "" {
		t.Errorf("cgroups %+v virtualization %+v go %q", info.Cgroups, info.Virtualization, info.GoVersion)
	}
	data, err := json.MarshalIndent(info, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{`"kernel_release"`, `"cpu_model"`, `"kvm"`, `"virtualization"`, `"cgroups"`, `"boot_id"`} {
		if !bytes.Contains(data, []byte(key)) {
			t.Errorf("JSON lacks %s", key)
		}
	}
	var back Info
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if back.BootID != info.BootID || back.KVM != info.KVM {
		t.Errorf("JSON round trip changed the info")
	}
	t.Logf("this host:\n%s", data)
}

func TestCollectHonoursACancelledContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Collect(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}
