// Command genfixture writes report/testdata/results-fixture.json, the TEST
// FIXTURE the report and mcpserver tests render and evaluate. Every figure
// in it is invented, chosen to be plausible for a small KVM-capable cloud
// VM, so that the structure a real run writes is exercised (unavailable
// variants, a failed snapshot, disagreements with the catalog, summaries
// consistent with their raw samples). It is not a measurement and nothing
// user-facing may present it as one.
//
// Run from the module root: go run ./report/testdata/genfixture
package main

import (
	"fmt"
	"math"
	"os"
	"time"

	"github.com/agentic-eval/agentic-eval/driver"
	"github.com/agentic-eval/agentic-eval/host"
	"github.com/agentic-eval/agentic-eval/probe"
	"github.com/agentic-eval/agentic-eval/results"
	"github.com/agentic-eval/agentic-eval/stats"
	"github.com/agentic-eval/agentic-eval/vms"
)

// rng is a tiny deterministic generator, so the fixture is reproducible.
type rng struct{ s uint64 }

func (r *rng) float() float64 {
	r.s = r.s*6364136223846793005 + 1442695040888963407
	return float64(r.s>>11) / float64(1<<53)
}

// lognormal samples around median m (ms) with spread sigma.
func (r *rng) samples(n int, m, sigma float64) []float64 {
	out := make([]float64, n)
	for i := range out {
		// Box-Muller.
		u1, u2 := r.float(), r.float()
		z := math.Sqrt(-2*math.Log(u1+1e-12)) * math.Cos(2*math.Pi*u2)
		out[i] = math.Round(m*math.Exp(sigma*z)*1000) / 1000
	}
	return out
}

func ns(ms []float64) []int64 {
	out := make([]int64, len(ms))
	for i, v := range ms {
		out[i] = int64(v * 1e6)
	}
	return out
}

func latency(r *rng, n int, m, sigma, td float64) *results.Latency {
	s := r.samples(n, m, sigma)
	t := r.samples(n, td, 0.1)
	return &results.Latency{SamplesNS: ns(s), Summary: stats.SummarizeValues(s, "ms"), TeardownNS: ns(t), Teardown: stats.SummarizeValues(t, "ms"), Warmups: 2}
}

func burst(r *rng, k int, m float64) *results.Burst {
	s := r.samples(k, m, 0.25)
	wall := 0.0
	for _, v := range s {
		wall = math.Max(wall, v)
	}
	return &results.Burst{K: k, Started: k, SamplesNS: ns(s), Summary: stats.SummarizeValues(s, "ms"), WallNS: int64(wall * 1e6), SpawnsPerSecond: float64(k) / (wall / 1000)}
}

func density(r *rng, n int, mib, cg float64, memBefore int64) *results.Density {
	d := &results.Density{Requested: 50, Started: n, CachesDropped: true, MemAvailableBefore: memBefore}
	var per []float64
	for i := 0; i < n; i++ {
		v := mib * (1 + 0.04*(r.float()-0.5))
		c := cg * (1 + 0.04*(r.float()-0.5))
		per = append(per, v)
		d.PerInstanceBytes = append(d.PerInstanceBytes, int64(v*(1<<20)))
		d.PSSBytes = append(d.PSSBytes, int64((v-c)*(1<<20)))
		d.CgroupBytes = append(d.CgroupBytes, int64(c*(1<<20)))
	}
	d.PerInstanceMiB = stats.SummarizeValues(per, "MiB")
	d.DeltaPerInstanceMiB = math.Round(mib*1.12*100) / 100
	d.MemAvailableAfter = memBefore - int64(d.DeltaPerInstanceMiB*float64(n)*(1<<20))
	if n < 50 {
		d.StoppedBy = fmt.Sprintf("MemAvailable would fall under the 20%% floor after %d sandboxes", n)
	}
	return d
}

func main() {
	r := &rng{s: 20261128}
	start := time.Date(2026, 11, 27, 14, 2, 11, 0, time.UTC)
	const memBefore = 30 << 30
	res := results.Results{
		Schema:   results.Schema,
		Tool:     results.Tool{Name: "agentic-eval", Version: "test-fixture", GoVersion: "go1.26.8"},
		RunID:    "fixture01",
		Started:  start,
		Finished: start.Add(17*time.Minute + 42*time.Second),
		Host: host.Info{
			KernelRelease: "6.1.0-28-cloud-amd64", KernelVersion: "#1 SMP PREEMPT_DYNAMIC Debian 6.1.119-1 (2024-11-22)",
			Arch: "x86_64", OS: "Debian GNU/Linux 12 (bookworm)", CPUModel: "AMD EPYC 7B13",
			LogicalCores: 8, UsableCores: 8, MemTotalBytes: 32 << 30, BootID: "3f0c2d1e-5b7a-4c8e-9d21-6a4f0b9e7c13",
			KVM:            host.KVM{Device: "/dev/kvm", Present: true, Usable: true, APIVersion: 12},
			Virtualization: host.Virtualization{Virtualized: "Yes", Hypervisor: "KVM", Evidence: []string{"cpuinfo flags: hypervisor", "DMI vendor: Google"}},
			Cgroups:        host.Cgroups{Mode: "v2", V2Mount: "/sys/fs/cgroup", V2Controllers: []string{"cpu", "io", "memory", "pids"}},
			GoVersion:      "go1.26.8",
		},
		Settings: results.DefaultSettings(),
		Warnings: []string{"TEST FIXTURE: hand-made figures for the report and mcpserver tests, not a measurement"},
	}
	unavailable := func(s vms.System, reason, fix string, boundary vms.Boundary, cp driver.ControlPlane) results.VariantResult {
		return declared(results.VariantResult{System: s, Variant: s.Name(),
			Fingerprint:  driver.Fingerprint{Available: false, Reason: reason, Fix: fix},
			Capabilities: driver.Capabilities{Control: cp}}, boundary)
	}
	hostID := func() *results.Isolation {
		return &results.Isolation{HostBootID: res.Host.BootID, HostKernelRelease: res.Host.KernelRelease}
	}
	gvIso := hostID()
	gvIso.Assessment = probe.Assessment{Boundary: vms.BoundaryUserspaceKernel, Observed: true,
		Basis: "observed: the sandbox has its own boot_id and a gVisor kernel release, so a userspace kernel answers its system calls",
		Findings: []probe.Finding{
			{Severity: vms.SeverityInfo, Finding: "CAP_SYS_ADMIN effective", Evidence: "CapEff 00000000a80425fb (the Sentry's own capabilities)"},
		}}
	dkIso := hostID()
	dkIso.Assessment = probe.Assessment{Boundary: vms.BoundarySharedKernel, Observed: true,
		Basis: "observed: the sandbox sees the host's boot_id and kernel release, so it runs on the host's kernel",
		Findings: []probe.Finding{
			{Severity: vms.SeverityMedium, Finding: "root filesystem writable", Evidence: "open /.aeprobe-w O_CREAT: ok"},
			{Severity: vms.SeverityLow, Finding: "host kernel release visible", Evidence: "uname -r: 6.1.0-28-cloud-amd64"},
		}}
	qIso := hostID()
	qIso.Assessment = probe.Assessment{Boundary: vms.BoundaryHardware, Observed: false,
		Basis:    "declared: the sandbox has its own boot_id and kernel, and the facts cannot tell a VM from a userspace kernel",
		Findings: []probe.Finding{}}

	gvisor := func(variant string, lat, sigma float64) results.VariantResult {
		return declared(results.VariantResult{System: vms.GVisor, Variant: variant,
			Fingerprint: driver.Fingerprint{Available: true, Version: "runsc release-20241104.0",
				Details: map[string]string{"binary": "/var/cache/agentic-eval/bin/runsc", "platform": variant[len("gvisor/"):]}},
			Capabilities: driver.Capabilities{Snapshot: true, Restore: true, RestoreMany: true, Exec: true,
				Control: driver.ControlPlane{Kind: "CLI (OCI runtime)"}},
			StartLatency: latency(r, 20, lat, sigma, 61),
			Burst:        burst(r, 8, lat*2.6),
			Density:      density(r, 50, 31.5, 12.0, memBefore),
			Isolation:    gvIso,
			Snapshot: &results.SnapshotResult{Supported: true, SnapshotNS: 238e6, SnapshotBytes: 61 << 20,
				RestoreNS: ns([]float64{412.5, 398.1, 430.7, 405.2, 441.9}), Restore: stats.SummarizeValues([]float64{412.5, 398.1, 430.7, 405.2, 441.9}, "ms"),
				Forks: 4, Verified: 5},
		}, vms.BoundaryUserspaceKernel, vms.OpCreate, vms.OpDestroy, vms.OpSnapshot, vms.OpRestore, vms.OpFork)
	}
	ptrace := gvisor("gvisor/ptrace", 231, 0.12)
	ptrace.Fingerprint.Warnings = []string{"ptrace platform: system calls are slower than with systrap; figures do not represent a production gVisor"}
	docker := declared(results.VariantResult{System: vms.Docker, Variant: "docker",
		Fingerprint: driver.Fingerprint{Available: true, Version: "Docker Engine 20.10.24+dfsg1 (API 1.41)",
			Details: map[string]string{"socket": "unix:///run/agentic-eval/dockerd.sock"}},
		Capabilities: driver.Capabilities{Snapshot: true, Restore: true, Exec: true,
			Control: driver.ControlPlane{Kind: "REST API on a unix socket (Docker Engine API)", Programmatic: true, MachineErrors: true, DiscoverableSchema: true}},
		StartLatency: latency(r, 20, 452, 0.08, 188),
		Burst:        burst(r, 8, 1210),
		Density:      density(r, 50, 8.9, 0.6, memBefore),
		Isolation:    dkIso,
		Snapshot:     &results.SnapshotResult{Supported: true, Cause: "checkpoint failed on this host: criu: vdso: Unexpected rt vDSO area bounds"},
		Failures: []results.Failure{{Phase: "snapshot", Sandbox: "ae-fixture01-57",
			Cause: "docker checkpoint create ae-fixture01-57: criu: vdso: Unexpected rt vDSO area bounds"}},
	}, vms.BoundarySharedKernel, vms.OpCreate, vms.OpExec, vms.OpDestroy)
	qemu := declared(results.VariantResult{System: vms.QEMUKVM, Variant: "qemu-kvm/kvm",
		Fingerprint: driver.Fingerprint{Available: true, Version: "QEMU emulator version 7.2.15 (Debian 1:7.2+dfsg-7+deb12u12)",
			Details: map[string]string{"accelerator": "kvm", "machine": "microvm", "kernel": "/var/cache/agentic-eval/qemu/vmlinuz"}},
		Capabilities: driver.Capabilities{Snapshot: true, Restore: true, RestoreMany: true,
			Control: driver.ControlPlane{Kind: "QMP (JSON over a socket)", Programmatic: true, MachineErrors: true, DiscoverableSchema: true}},
		StartLatency: latency(r, 20, 905, 0.06, 48),
		Burst:        burst(r, 8, 1840),
		Density:      density(r, 50, 141, 0, memBefore),
		Isolation:    qIso,
		Snapshot: &results.SnapshotResult{Supported: true, SnapshotNS: 1310e6, SnapshotBytes: 132 << 20,
			RestoreNS: ns([]float64{602.4, 588.0, 640.9, 611.3, 597.8}), Restore: stats.SummarizeValues([]float64{602.4, 588.0, 640.9, 611.3, 597.8}, "ms"),
			Forks: 4, Verified: 5},
	}, vms.BoundaryHardware, vms.OpCreate, vms.OpSnapshot, vms.OpRestore, vms.OpFork, vms.OpDestroy)
	noKVMNeeded := driver.ControlPlane{Kind: "REST API on a unix socket", Programmatic: true, MachineErrors: true, DiscoverableSchema: true}
	res.Systems = []results.VariantResult{
		unavailable(vms.AetherVM, "no aethervm binary on PATH: it has no public release to install on Linux", "install aethervm when a Linux release exists", vms.BoundaryHardware, driver.ControlPlane{Kind: "MCP and REST", Programmatic: true, MachineErrors: true, DiscoverableSchema: true, ToolNative: true}),
		unavailable(vms.Firecracker, "firecracker not found on PATH", "install the firecracker release binary on PATH (no Debian package exists)", vms.BoundaryHardware, noKVMNeeded),
		unavailable(vms.CloudHypervisor, "cloud-hypervisor not found on PATH", "install the cloud-hypervisor release binary on PATH (no package in Debian 12)", vms.BoundaryHardware, noKVMNeeded),
		gvisor("gvisor/systrap", 176, 0.1),
		ptrace,
		unavailable(vms.Kata, "neither kata-runtime nor containerd-shim-kata-v2 found on PATH", "install Kata Containers (kata-runtime and its guest assets; no package in Debian 12)", vms.BoundaryHardware, driver.ControlPlane{Kind: "OCI runtime behind containerd (CRI)", Programmatic: true, MachineErrors: true}),
		qemu,
		docker,
	}
	if err := res.Write("report/testdata/results-fixture.json"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// declared sets a driver's declared boundary and lifecycle operations on
// vr.
func declared(vr results.VariantResult, b vms.Boundary, ops ...vms.Operation) results.VariantResult {
	vr.Capabilities.Boundary = b
	vr.Operations = ops
	return vr
}
