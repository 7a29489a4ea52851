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
// a guest powering itself off is never relied on. The harness, not the
// guest, timestamps readiness.
//
// Two guests. The ready baseline is the probe alone in the initramfs,
// talking over the serial console, with no device beyond it: the
// start-latency figure is what that costs. A sandbox on the image gets the
// image as an ext4 disk built once per image key (disk.go), opened
// read-only by every VM (readonly=on), and a virtio-serial device with two
// ports: the probe's (the harness's channel, far faster than an emulated
// 8250) and qemu-ga's. The probe, as /init, loads the virtio modules the
// initramfs carries (Debian's cloud kernel builds virtio-mmio and
// virtio-blk as modules), mounts the disk, chroots into it as an OCI
// runtime would set up a container, says ready, and starts qemu-ga; the
// runtime's own exec is the guest agent's guest-exec (qga.go), so only
// sandboxes on the image exec. Snapshots are QEMU migration streams
// written through exec:cat (QEMU 7.2 refuses file:), restored any number
// of times with -incoming onto the same machine: the same devices, the
// same read-only disk, new sockets.
package qemu
