package probe

// What a VM's /init and its driver agree on when the guest runs the
// sandbox image (drivers/qemu and cmd/sandbox-probe): the flag that asks
// for it, the modules the initramfs carries, and the names of the
// virtio-serial ports the guest finds its channels by.
const (
	// ImageDiskFlag, on the probe's command line as the kernel's init,
	// says the image is the VM's first virtio disk (/dev/vda): the probe
	// loads ModulesDir's modules, mounts the disk read-only, chroots into
	// it and talks on the AgentPort instead of the serial console.
	ImageDiskFlag = "--image-disk"
	// ModulesDir holds, in the initramfs, the kernel modules the probe
	// loads in that order (xz-compressed .ko files, as Debian ships them).
	ModulesDir = "/lib/modules"
	// AgentPort is the virtio-serial port the probe serves the protocol on.
	AgentPort = "org.agentic-eval.agent.0"
	// GuestAgentPort is the port the probe starts qemu-ga on (the name
	// QEMU's guest agent is known by).
	GuestAgentPort = "org.qemu.guest_agent.0"
)

// VMModules are the modules, in load order, a guest on the image needs
// when its kernel does not build them in (Debian's cloud kernel).
var VMModules = []string{"virtio_mmio.ko.xz", "virtio_blk.ko.xz"}
