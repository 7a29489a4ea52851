package qemu

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

const (
	qemuBinary    = "qemu-system-x86_64"
	kernelEnv     = "AGENTIC_EVAL_KERNEL"
	defaultKernel = "/var/cache/agentic-eval/qemu/vmlinuz"
	setupFix      = "run scripts/setup-qemu.sh (as root)"
)

// machineFlags are the microvm settings every VM of this driver uses; they
// are the same at Start and at Restore (a migration stream only loads into
// the machine it came from).
var machineFlags = []string{
	"-M", "microvm,x-option-roms=off,isa-serial=on,pit=on,pic=on,rtc=on",
	"-m", "256",
	"-smp", "1",
	"-nodefaults", "-no-user-config",
	"-nographic",
	"-no-reboot",
	"-nic", "none",
}

// findQEMU returns the path of qemu-system-x86_64 on PATH.
func findQEMU() (string, error) {
	p, err := exec.LookPath(qemuBinary)
	if err != nil {
		return "", fmt.Errorf("%s not found on PATH: %w", qemuBinary, err)
	}
	return p, nil
}

// findKernel returns the guest kernel: $AGENTIC_EVAL_KERNEL, then the cache
// that scripts/setup-qemu.sh fills.
func findKernel() (string, error) {
	if p := os.Getenv(kernelEnv); p != "" {
		if err := regularFile(p); err != nil {
			return "", fmt.Errorf("guest kernel from $%s: %w", kernelEnv, err)
		}
		return p, nil
	}
	if err := regularFile(defaultKernel); err != nil {
		return "", fmt.Errorf("guest kernel ($%s unset): %w", kernelEnv, err)
	}
	return defaultKernel, nil
}

func regularFile(p string) error {
	fi, err := os.Stat(p)
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() || fi.Size() == 0 {
		return fmt.Errorf("%s is not a non-empty regular file", p)
	}
	return nil
}

// kernelVersion reads the version file setup-qemu.sh writes next to the
// kernel, when there is one.
func kernelVersion(kernel string) string {
	b, err := os.ReadFile(kernel + ".version")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// runQEMUInfo runs qemu with an informational flag and returns its output.
func runQEMUInfo(ctx context.Context, bin string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, args...).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("%s %s: %w: %s", bin, strings.Join(args, " "), err, truncate(strings.TrimSpace(string(out)), 300))
	}
	return string(out), nil
}

// KVM ioctls (linux/kvm.h).
const (
	kvmGetAPIVersion = 0xAE00
	kvmCreateVM      = 0xAE01
	kvmAPIVersion    = 12
)

// checkKVMDevice opens /dev/kvm, asks its API version and creates (and
// closes) a VM: what a VMM needs before it can run anything.
func checkKVMDevice() error {
	fd, err := unix.Open("/dev/kvm", unix.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open /dev/kvm: %w", err)
	}
	defer unix.Close(fd)
	v, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), kvmGetAPIVersion, 0)
	if errno != 0 {
		return fmt.Errorf("/dev/kvm KVM_GET_API_VERSION: %w", errno)
	}
	if v != kvmAPIVersion {
		return fmt.Errorf("/dev/kvm KVM_GET_API_VERSION is %d, want %d", v, kvmAPIVersion)
	}
	vm, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), kvmCreateVM, 0)
	if errno != 0 {
		return fmt.Errorf("/dev/kvm KVM_CREATE_VM: %w", errno)
	}
	unix.Close(int(vm))
	return nil
}

// tscKHz is the host's TSC frequency in kHz as /proc/cpuinfo states it.
func tscKHz() (int64, error) {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return 0, fmt.Errorf("read /proc/cpuinfo: %w", err)
	}
	return parseCPUMHz(string(b))
}

// kvmBootOutcome reads a trial boot's console and QEMU's messages, line by
// line, and decides. The guest has no initramfs, so a kernel that runs to
// the end panics for want of a root file system: that panic proves KVM ran
// the whole boot. "KVM internal error" (QEMU stops the vCPU and waits) or
// QEMU exiting first proves it did not.
func kvmBootOutcome(line string) (done bool, err error) {
	switch {
	case strings.Contains(line, "Kernel panic"), strings.Contains(line, "VFS: Unable to mount root"):
		return true, nil
	case strings.Contains(line, "KVM internal error"), strings.Contains(line, "emulation failure"),
		strings.Contains(line, "failed to set MSR"), strings.Contains(line, "Assertion"):
		return true, errors.New(strings.TrimSpace(line))
	}
	return false, nil
}

type kvmTrialKey struct {
	qemu, kernel string
	mtime        time.Time
}

var (
	kvmTrialMu    sync.Mutex
	kvmTrialCache = map[kvmTrialKey]error{}
)

// trialBootKVM boots the guest kernel under -accel kvm -cpu host, without an
// initramfs or any device but the serial console, and reports whether the
// kernel ran to its end. A /dev/kvm that creates VMs can still fail here
// (nested virtualization that cannot emulate what the guest needs). The
// outcome is cached per QEMU binary and kernel for the life of the process.
func trialBootKVM(ctx context.Context, bin, kernel string) error {
	fi, err := os.Stat(kernel)
	if err != nil {
		return fmt.Errorf("stat guest kernel: %w", err)
	}
	key := kvmTrialKey{bin, kernel, fi.ModTime()}
	kvmTrialMu.Lock()
	defer kvmTrialMu.Unlock()
	if err, ok := kvmTrialCache[key]; ok {
		return err
	}
	err = runKVMTrial(ctx, bin, kernel)
	if ctx.Err() == nil { // an interrupted trial decides nothing
		kvmTrialCache[key] = err
	}
	return err
}

func runKVMTrial(ctx context.Context, bin, kernel string) error {
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	args := append([]string{"-accel", "kvm", "-cpu", "host"}, machineFlags...)
	args = append(args, "-serial", "stdio", "-kernel", kernel,
		"-append", "console=ttyS0 panic=-1 loglevel=4")
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = os.TempDir() // QEMU aborts on some KVM failures: no core file in the caller's directory
	cmd.WaitDelay = 2 * time.Second
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start kvm trial boot: %w", err)
	}
	waitErr := make(chan error, 1)
	go func() {
		err := cmd.Wait()
		pw.CloseWithError(io.EOF)
		waitErr <- err
	}()
	var (
		last    []string
		verdict error
		decided bool
	)
	sc := bufio.NewScanner(pr)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), "\r")
		if line != "" {
			last = append(last, line)
			if len(last) > 4 {
				last = last[1:]
			}
		}
		if done, err := kvmBootOutcome(line); done {
			decided, verdict = true, err
			break
		}
	}
	if cmd.Process != nil {
		_ = cmd.Process.Kill()
	}
	go io.Copy(io.Discard, pr) // let Wait finish
	<-waitErr
	switch {
	case decided && verdict != nil:
		return fmt.Errorf("a guest kernel does not boot under -accel kvm: %w", verdict)
	case decided:
		return nil
	case ctx.Err() != nil:
		return fmt.Errorf("kvm trial boot did not finish: %w (last output: %q)", ctx.Err(), last)
	default:
		return fmt.Errorf("kvm trial boot: qemu exited before the guest kernel finished (last output: %q)", last)
	}
}
