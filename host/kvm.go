package host

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// KVM ioctls (linux/kvm.h): _IO(KVMIO, 0x00) and _IO(KVMIO, 0x01).
const (
	kvmGetAPIVersion = 0xAE00
	kvmCreateVM      = 0xAE01
	// KVMAPIVersion is the only KVM API version Linux has ever reported.
	KVMAPIVersion = 12
)

// KVM says whether hardware virtualization is available to this process.
type KVM struct {
	Device     string `json:"device"`  // the device node examined, /dev/kvm
	Present    bool   `json:"present"` // the device node exists
	Usable     bool   `json:"usable"`  // it opened, reported API 12 and created a VM
	APIVersion int    `json:"api_version,omitempty"`
	// Reason says, when Usable is false, which step failed and why.
	Reason string `json:"reason,omitempty"`
}

// CheckKVM probes the KVM device at path (normally /dev/kvm): it opens it,
// asks KVM_GET_API_VERSION, and creates (then closes) a VM. Creating a VM is
// the test that matters: a nested guest may expose a /dev/kvm whose VM
// creation fails.
func CheckKVM(path string) KVM {
	k := KVM{Device: path}
	if _, err := os.Stat(path); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			k.Reason = fmt.Sprintf("%s does not exist (the CPU's virtualization extensions are not exposed to this host, or the kvm module is not loaded)", path)
		} else {
			k.Reason = fmt.Sprintf("stat %s: %v", path, err)
		}
		return k
	}
	k.Present = true
	fd, err := unix.Open(path, unix.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		if errors.Is(err, unix.EACCES) || errors.Is(err, unix.EPERM) {
			k.Reason = fmt.Sprintf("open %s: %v (run as root or join the device's group, usually kvm)", path, err)
		} else {
			k.Reason = fmt.Sprintf("open %s: %v", path, err)
		}
		return k
	}
	defer unix.Close(fd)
	v, err := ioctlRetry(fd, kvmGetAPIVersion, 0)
	if err != nil {
		k.Reason = fmt.Sprintf("KVM_GET_API_VERSION on %s: %v", path, err)
		return k
	}
	k.APIVersion = v
	if v != KVMAPIVersion {
		k.Reason = fmt.Sprintf("KVM_GET_API_VERSION on %s returned %d, want %d", path, v, KVMAPIVersion)
		return k
	}
	vm, err := ioctlRetry(fd, kvmCreateVM, 0)
	if err != nil {
		k.Reason = fmt.Sprintf("KVM_CREATE_VM on %s: %v (the device exists but cannot run a VM here; nested virtualization may be off)", path, err)
		return k
	}
	unix.Close(vm)
	k.Usable = true
	return k
}

func ioctlRetry(fd int, req, arg uintptr) (int, error) {
	for {
		r, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), req, arg)
		if errno == unix.EINTR {
			continue
		}
		if errno != 0 {
			return -1, errno
		}
		return int(r), nil
	}
}
