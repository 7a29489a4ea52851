package qemu

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"github.com/agentic-eval/agentic-eval/driver"
	"github.com/agentic-eval/agentic-eval/probe"
	"github.com/agentic-eval/agentic-eval/vms"
)

// Accelerator is how QEMU runs the guest's CPU.
type Accelerator string

const (
	// KVM is hardware virtualization through /dev/kvm.
	KVM Accelerator = "kvm"
	// TCG is QEMU's software emulation: it runs anywhere and represents
	// nothing about KVM's figures.
	TCG Accelerator = "tcg"
)

// TCGWarning qualifies every figure measured through the TCG variant.
const TCGWarning = "TCG software emulation (no usable KVM): boot, snapshot, restore and memory figures do not represent QEMU under KVM"

// Driver runs QEMU microvm guests with one accelerator. It implements
// measure.Driver, measure.Preparer, measure.Snapshotter and measure.Sweeper;
// its sandboxes on the image implement measure.Execer.
type Driver struct {
	accel Accelerator
	// kvmDevice and kvmTrial are the host's KVM as the KVM variant's
	// Fingerprint sees it: whether /dev/kvm answers and creates a VM, and
	// whether a guest kernel boots under -accel kvm with that QEMU and
	// kernel. nil means the real checks (checkKVMDevice, trialBootKVM);
	// tests give their own, so that a verdict holds whatever KVM this
	// host has.
	kvmDevice func() error
	kvmTrial  func(ctx context.Context, qemu, kernel string) error

	mu     sync.Mutex
	initrd string // the run's initramfs, built by Prepare
	probe  string // the probe it holds
	runDir string // where Prepare put it (removed by Close)
	runID  string
	// modulesErr says why the initramfs lacks the modules a guest on the
	// image needs ("" when it has them).
	modulesErr string
	// boot is the kernel the run's sandboxes boot, resolved by Prepare.
	boot bootKernel
	// disks are the image disks found or built, by image key.
	disks map[string]string
	// sweepDirs are the run directories Prepare was given: Leftovers looks
	// there for the files of VMs this process no longer knows.
	sweepDirs []string
	live      map[*vm]struct{}
}

var (
	_ driver.Driver      = (*Driver)(nil)
	_ driver.Preparer    = (*Driver)(nil)
	_ driver.Restorer    = (*Driver)(nil)
	_ driver.Snapshotter = (*vm)(nil)
	_ driver.Snapshotter = imageVM{}
	_ driver.Execer      = imageVM{}
	_ driver.Reaper      = (*Driver)(nil)
)

// NewKVM returns the "qemu-kvm/kvm" variant. Its Fingerprint decides
// whether KVM really works here.
func NewKVM() *Driver { return &Driver{accel: KVM, live: map[*vm]struct{}{}} }

// NewTCG returns the "qemu-kvm/tcg" variant, offered on every host.
func NewTCG() *Driver { return &Driver{accel: TCG, live: map[*vm]struct{}{}} }

// Drivers returns both variants; the KVM one's Fingerprint says whether it
// can run here.
func Drivers() []driver.Driver { return []driver.Driver{NewKVM(), NewTCG()} }

// System is the catalog's qemu-kvm row.
func (d *Driver) System() vms.System { return vms.QEMUKVM }

// Variant is "qemu-kvm/kvm" or "qemu-kvm/tcg".
func (d *Driver) Variant() string { return "qemu-kvm/" + string(d.accel) }

// Accelerator is the variant's accelerator.
func (d *Driver) Accelerator() Accelerator { return d.accel }

// Capabilities: migration-stream snapshots, restorable many times; the
// sandbox image as a read-only virtio disk; exec through QEMU's guest agent
// (guest-exec), which runs in a guest on the image (the probe-only
// initramfs of the ready baseline holds no agent, and its sandboxes do not
// exec); QMP as the control plane.
func (d *Driver) Capabilities() driver.Capabilities {
	// Under TCG the guest's boundary is QEMU's emulator, C code in a host
	// process, not the CPU's virtualization: the variant declares what it
	// is.
	boundary := vms.BoundaryHardware
	if d.accel == TCG {
		boundary = vms.BoundarySoftwareEmulation
	}
	return driver.Capabilities{
		Snapshot:    true,
		Restore:     true,
		RestoreMany: true,
		Exec:        true,
		Image:       true,
		Boundary:    boundary,
		Control: driver.ControlPlane{
			Kind:               "QMP (JSON over a unix socket)",
			Programmatic:       true,
			MachineErrors:      true, // {"error": {"class", "desc"}}
			DiscoverableSchema: true, // query-qmp-schema
			ToolNative:         false,
		},
	}
}

// Fingerprint checks qemu-system-x86_64 and its version, the guest kernel
// and the accelerator. For KVM that means /dev/kvm answers (API version,
// VM creation) and a guest kernel really boots under -accel kvm; the trial
// boot has no initramfs, no probe and no devices, and its outcome is cached
// for the life of the process. The prerequisites that do not depend on
// each other (the binary, the kernel, /dev/kvm or the TSC frequency) are
// all checked, and every one missing is named.
func (d *Driver) Fingerprint(ctx context.Context) driver.Fingerprint {
	fp := driver.Fingerprint{Details: map[string]string{"accelerator": string(d.accel)}}
	if d.accel == TCG {
		fp.Warnings = append(fp.Warnings, TCGWarning)
	}
	var lacks driver.Lacks
	lack := lacks.Add
	unavailable := func() driver.Fingerprint { return lacks.Fill(fp) }
	bin, err := findQEMU()
	if err != nil {
		lack(err.Error(), "apt-get install qemu-system-x86, or "+setupFix)
	} else {
		fp.Details["binary"] = bin
		if out, err := runQEMUInfo(ctx, bin, "--version"); err != nil {
			lack(err.Error(), "reinstall qemu-system-x86")
		} else if v, err := parseVersion(out); err != nil {
			lack(err.Error(), "")
		} else {
			fp.Version = v.String()
		}
	}
	kernel, err := findKernel()
	if err != nil {
		lack(err.Error(), setupFix+", or set $"+kernelEnv+" to a bzImage (or a vmlinux with the PVH note) with 8250 serial built in")
	} else {
		fp.Details["kernel"] = kernel
		if kv := kernelVersion(kernel); kv != "" {
			fp.Details["kernel_package"] = kv
		}
		// Sandboxes on the image need the kernel's virtio modules; without
		// them the ready baseline still boots, and each image sandbox fails
		// with this cause.
		if _, err := findModules(kernel); err != nil {
			fp.Details["guest_modules"] = err.Error()
		} else {
			fp.Details["guest_modules"] = strings.Join(probe.VMModules, ",")
		}
	}
	device, trial := d.kvmDevice, d.kvmTrial
	if device == nil {
		device = checkKVMDevice
	}
	if trial == nil {
		trial = trialBootKVM
	}
	switch d.accel {
	case KVM:
		if err := device(); err != nil {
			lack(err.Error(), "run on a host with hardware virtualization exposed (/dev/kvm readable and writable, kvm_intel or kvm_amd loaded); until then the qemu-kvm/tcg variant measures under software emulation")
		}
	case TCG:
		if khz, err := tscKHz(); err != nil {
			lack("cannot tell the guest its TSC frequency (a TCG boot hangs without it): "+err.Error(), "")
		} else {
			fp.Details["tsc_early_khz"] = strconv.FormatInt(khz, 10)
		}
	}
	if lacks.Any() {
		return unavailable()
	}
	help, err := runQEMUInfo(ctx, bin, "-accel", "help")
	if err != nil {
		lack(err.Error(), "")
		return unavailable()
	}
	accels := parseAccelHelp(help)
	fp.Details["accelerators"] = strings.Join(accels, ",")
	if !contains(accels, string(d.accel)) {
		lack(fmt.Sprintf("%s was built without the %s accelerator (it has: %s)", bin, d.accel, strings.Join(accels, ", ")), "install Debian's qemu-system-x86")
		return unavailable()
	}
	if d.accel == KVM {
		if err := trial(ctx, bin, kernel); err != nil {
			lack("/dev/kvm answers but "+err.Error(), "run on a host whose KVM runs guests (bare metal, or nested virtualization that supports it); until then the qemu-kvm/tcg variant measures under software emulation")
			return unavailable()
		}
		fp.Details["cpu"] = "host"
	}
	bk := resolveBootKernel(ctx, kernel)
	fp.Details["kernel_boot"] = bk.Form + " " + bk.Path
	if bk.Why != "" {
		fp.Details["kernel_boot_why"] = bk.Why
	}
	fp.Details["cmdline"] = guestCmdline(d.accel, 0)
	fp.Available = true
	return fp
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Prepare builds the run's initramfs (the probe as /init, with the guest
// modules setup-qemu.sh keeps for the kernel) once, and when the run has an
// image, finds or builds its disk. A missing module or disk fails only the
// sandboxes on the image, with the cause; the ready baseline boots without.
func (d *Driver) Prepare(ctx context.Context, env driver.RunEnv) error {
	if env.Probe == "" {
		return fmt.Errorf("prepare %s: no probe binary", d.Variant())
	}
	base := env.Dir
	if base == "" {
		base = os.TempDir()
	}
	dir, err := os.MkdirTemp(base, "ae-"+env.RunID+"-qemu-")
	if err != nil {
		return fmt.Errorf("prepare %s: %w", d.Variant(), err)
	}
	initrd := filepath.Join(dir, "initramfs.cpio")
	var modules []string
	var boot bootKernel
	modulesErr := ""
	if kernel, err := findKernel(); err != nil {
		modulesErr = err.Error()
	} else {
		boot = resolveBootKernel(ctx, kernel)
		if modules, err = findModules(kernel); err != nil {
			modulesErr = err.Error()
		}
	}
	if err := writeInitramfs(initrd, env.Probe, modules); err != nil {
		os.RemoveAll(dir)
		return fmt.Errorf("prepare %s: %w", d.Variant(), err)
	}
	d.mu.Lock()
	old := d.runDir
	d.initrd, d.probe, d.runDir, d.runID, d.modulesErr, d.boot = initrd, env.Probe, dir, env.RunID, modulesErr, boot
	if env.Dir != "" && !contains(d.sweepDirs, env.Dir) {
		d.sweepDirs = append(d.sweepDirs, env.Dir)
	}
	d.mu.Unlock()
	if old != "" {
		os.RemoveAll(old)
	}
	if !env.Image.IsZero() && modulesErr == "" {
		// Built now, so that no sandbox's start pays for it; its failure
		// is each image sandbox's to report.
		_, _ = d.disk(ctx, env.Image)
	}
	return nil
}

// findModules returns the guest modules (probe.VMModules) setup-qemu.sh
// keeps in the kernel's directory, refusing a set made for another kernel.
func findModules(kernel string) ([]string, error) {
	dir := filepath.Join(cacheDir(kernel), "modules")
	kv := kernelVersion(kernel)
	b, err := os.ReadFile(filepath.Join(dir, "version"))
	switch {
	case err != nil:
		return nil, fmt.Errorf("no guest modules for the kernel in %s: %w (fix: %s)", dir, err, setupFix)
	case kv == "" || strings.TrimSpace(string(b)) != kv:
		return nil, fmt.Errorf("the guest modules in %s are for %q, the kernel is %q (fix: %s)", dir, strings.TrimSpace(string(b)), kv, setupFix)
	}
	var out []string
	for _, m := range probe.VMModules {
		p := filepath.Join(dir, m)
		if err := regularFile(p); err != nil {
			return nil, fmt.Errorf("guest module: %w (fix: %s)", err, setupFix)
		}
		out = append(out, p)
	}
	return out, nil
}

// disk returns the disk of img, building it once per image key.
func (d *Driver) disk(ctx context.Context, img driver.Image) (string, error) {
	d.mu.Lock()
	if p, ok := d.disks[img.Key]; ok {
		d.mu.Unlock()
		return p, nil
	}
	modulesErr, runID := d.modulesErr, d.runID
	d.mu.Unlock()
	if modulesErr != "" {
		return "", fmt.Errorf("a guest on the image needs the virtio modules: %s", modulesErr)
	}
	kernel, err := findKernel()
	if err != nil {
		return "", err
	}
	p, err := ensureDisk(ctx, filepath.Join(cacheDir(kernel), diskDirName), img, runID)
	if err != nil {
		return "", fmt.Errorf("image %s as a disk: %w", img.Key, err)
	}
	if strings.ContainsAny(p, ",") {
		return "", fmt.Errorf("image disk path %q has a comma, which a QEMU -drive cannot name", p)
	}
	d.mu.Lock()
	if d.disks == nil {
		d.disks = map[string]string{}
	}
	d.disks[img.Key] = p
	d.mu.Unlock()
	return p, nil
}

// Close removes what Prepare made. Sandboxes are the harness's to destroy.
func (d *Driver) Close(ctx context.Context) error {
	d.mu.Lock()
	dir := d.runDir
	d.initrd, d.probe, d.runDir, d.runID = "", "", "", ""
	d.disks = nil // the disks are the cache's: they stay
	d.mu.Unlock()
	if dir == "" {
		return nil
	}
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("close %s: remove %s: %w", d.Variant(), dir, err)
	}
	return nil
}

// bootConfig is what a VM of this driver boots with; a snapshot records it
// so that a restore builds the same machine.
type bootConfig struct {
	Accel  Accelerator `json:"accel"`
	QEMU   string      `json:"qemu"`
	Kernel string      `json:"kernel"`
	Initrd string      `json:"initrd"`
	Append string      `json:"append"`
	// Disk is the image's disk, "" for the probe-only initramfs: a guest
	// with one has the virtio devices and talks on virtio-serial.
	Disk string `json:"disk,omitempty"`
}

// config resolves the boot configuration for a sandbox running probe with
// args, on the image's disk when disk is set.
func (d *Driver) config(probePath string, args []string, disk string) (bootConfig, error) {
	d.mu.Lock()
	initrd, prepared, boot := d.initrd, d.probe, d.boot
	d.mu.Unlock()
	if initrd == "" {
		return bootConfig{}, fmt.Errorf("%s is not prepared: call Prepare before Start", d.Variant())
	}
	if probePath != "" && probePath != prepared {
		return bootConfig{}, fmt.Errorf("%s was prepared with probe %s, the spec asks for %s", d.Variant(), prepared, probePath)
	}
	bin, err := findQEMU()
	if err != nil {
		return bootConfig{}, err
	}
	if boot.Path == "" {
		why := boot.Why
		if why == "" {
			why = "no guest kernel was found when the run was prepared"
		}
		return bootConfig{}, fmt.Errorf("%s (fix: %s)", why, setupFix)
	}
	var khz int64
	if d.accel == TCG {
		if khz, err = tscKHz(); err != nil {
			return bootConfig{}, err
		}
	}
	cmdline := guestCmdline(d.accel, khz)
	if disk != "" {
		args = append(append([]string(nil), args...), probe.ImageDiskFlag)
	}
	if len(args) > 0 {
		for _, a := range args {
			if a == "" || strings.ContainsAny(a, " \t\n\"") {
				return bootConfig{}, fmt.Errorf("probe argument %q cannot travel on a kernel command line", a)
			}
		}
		cmdline += " -- " + strings.Join(args, " ")
	}
	return bootConfig{Accel: d.accel, QEMU: bin, Kernel: boot.Path, Initrd: initrd, Append: cmdline, Disk: disk}, nil
}

// bootTrim is what every guest is told to skip at boot. None of it is part
// of the boundary between guest and host, and each item was timed under
// TCG on this machine kind (a guest's initcall_debug):
//   - load_system_certificate_list: parsing the kernel's built-in X.509
//     keys, for module signatures (about 0.7 s); the guest loads only the
//     modules its initramfs carries, which setup took from the same package;
//   - amd_pstate_init, sed_opal_init, jent_mod_init: a CPU frequency driver
//     with no CPPC to drive, self-encrypting disks the guest has none of, and
//     the crypto API's jitter RNG (the kernel's own RNG seeds without it);
//   - cryptomgr.notests: the crypto algorithms' self-tests at registration;
//   - init_on_alloc=0: zeroing every page and slab allocation, a hardening
//     inside the guest (its memory is the host's fresh pages either way).
const bootTrim = "initcall_blacklist=load_system_certificate_list,amd_pstate_init,sed_opal_init,jent_mod_init cryptomgr.notests init_on_alloc=0"

// guestCmdline is the kernel command line before the probe's arguments.
// Under TCG the guest is told its TSC frequency and loops-per-jiffy (the
// calibration hangs or takes seconds when emulated) and that its TSC is
// reliable, so that the clocksource watchdog, which an emulated CPU's
// stalls trip, does not move it to jiffies mid-boot. khz 0 writes the
// placeholder <khz> (for a fingerprint).
func guestCmdline(accel Accelerator, khz int64) string {
	c := "console=ttyS0 panic=-1 quiet " + bootTrim
	if accel == TCG {
		if khz == 0 {
			return c + " tsc_early_khz=<khz> lpj=<khz*4> tsc=reliable"
		}
		// lpj = kHz * 1000 / HZ, HZ=250 in Debian's kernels.
		c += fmt.Sprintf(" tsc_early_khz=%d lpj=%d tsc=reliable", khz, khz*4)
	}
	return c
}

func (d *Driver) track(v *vm) {
	d.mu.Lock()
	d.live[v] = struct{}{}
	d.mu.Unlock()
}

func (d *Driver) untrack(v *vm) {
	d.mu.Lock()
	delete(d.live, v)
	d.mu.Unlock()
}
