// Package qemu drives QEMU (the catalog's qemu-kvm row) as the full-VM
// baseline: a microvm machine booting Debian's cloud kernel straight into an
// initramfs whose /init is the probe.
//
// Its opinions: the accelerator is a fact to be proven, not assumed. A
// /dev/kvm that opens and creates a VM can still fail to run a guest (nested
// virtualization), so the KVM variant is available only once a real guest
// kernel has booted under -accel kvm; the TCG variant is always offered and
// every figure it produces carries the warning that software emulation does
// not represent KVM. The guest gets no network device at all, and the host
// always ends the VM (QMP quit, then SIGTERM, then SIGKILL, by process id):
// a guest powering itself off is never relied on. The probe talks over the
// serial console, so the harness, not the guest, timestamps readiness.
// Snapshots are QEMU migration streams written through exec:cat (QEMU 7.2
// refuses file:), restored any number of times with -incoming.
package qemu
