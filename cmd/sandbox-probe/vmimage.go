//go:build linux

package main

// The probe as /init of a VM that runs the sandbox image (probe.ImageDiskFlag):
// it loads the initramfs's virtio modules, mounts the image's disk
// read-only, mounts what a sandbox has (proc, sysfs, devtmpfs, a tmpfs
// work dir, /tmp and /run), binds itself at /sandbox-probe, moves the disk
// over / and chroots into it, as an OCI runtime would set the sandbox up.
// Only then does it say ready, on its virtio-serial port, and start
// QEMU's guest agent on the other port. Every step is bounded: a device
// that never appears is an error with its name, reported on the console
// and on the agent port when there is one, never a hang without a cause.

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/agentic-eval/agentic-eval/probe"
)

const (
	imageDisk  = "/dev/vda"
	newRoot    = "/image"
	deviceWait = 30 * time.Second // under TCG a slow host is still a host
	qemuGA     = "/usr/sbin/qemu-ga"
)

// hasArg reports whether the probe was given flag.
func hasArg(flag string) bool {
	for _, a := range os.Args[1:] {
		if a == flag {
			return true
		}
	}
	return false
}

// bootOnImage is the init of a VM on the image; it never returns.
func bootOnImage(ready []byte) {
	initMode = true
	// The kernel gives init no PATH; commands are looked up as in an OCI
	// sandbox, whose process has the default one.
	os.Setenv("PATH", strings.TrimPrefix(defaultPath, "PATH="))
	mountKernelFS()
	if _, err := unix.FcntlInt(1, unix.F_GETFD, 0); err != nil {
		openConsole()
	}
	agentPort, gaPort, err := enterImage()
	var agent *os.File
	if agentPort != "" {
		agent, _ = os.OpenFile("/dev/"+agentPort, os.O_RDWR, 0)
	}
	if err == nil && agent == nil {
		err = fmt.Errorf("open the agent port /dev/%s", agentPort)
	}
	if err != nil {
		msg := "sandbox-probe: init on the image: " + strings.ReplaceAll(err.Error(), "\n", " ") + "\n"
		os.Stderr.WriteString(msg)
		if agent != nil {
			agent.WriteString(msg)
		}
		idle()
	}
	agent.Write(ready)
	if gaPort != "" {
		startGuestAgent("/dev/" + gaPort)
	}
	serve(agent, agent)
	idle()
}

// enterImage loads the modules, waits for the disk and the ports, mounts
// the image and chroots into it. It returns the device names of the agent
// port and of the guest agent's port ("" when the VM has none).
func enterImage() (agentPort, gaPort string, err error) {
	params := moduleParams()
	for _, m := range probe.VMModules {
		name := strings.TrimSuffix(strings.TrimSuffix(m, ".xz"), ".ko")
		if err := loadModule(filepath.Join(probe.ModulesDir, m), params[name]); err != nil {
			return "", "", err
		}
	}
	deadline := time.Now().Add(deviceWait)
	for {
		ports := virtioPorts()
		agentPort, gaPort = ports[probe.AgentPort], ports[probe.GuestAgentPort]
		var st unix.Stat_t
		diskOK := unix.Stat(imageDisk, &st) == nil && st.Mode&unix.S_IFMT == unix.S_IFBLK
		portOK := agentPort != "" && devExists("/dev/"+agentPort)
		if diskOK && portOK {
			break
		}
		if time.Now().After(deadline) {
			var missing []string
			if !diskOK {
				missing = append(missing, "the disk "+imageDisk)
			}
			if !portOK {
				missing = append(missing, "the virtio-serial port "+probe.AgentPort)
			}
			return agentPort, "", fmt.Errorf("%s did not appear within %v", strings.Join(missing, " and "), deviceWait)
		}
		time.Sleep(time.Millisecond)
	}
	if err := mountImage(); err != nil {
		return agentPort, "", err
	}
	return agentPort, gaPort, nil
}

// moduleParams are the module parameters on the kernel command line
// (module.param=value), by module: the kernel applies them only to
// built-in code, so a loader hands them over (microvm without ACPI
// describes its virtio-mmio devices as virtio_mmio.device=...).
func moduleParams() map[string]string {
	b, err := os.ReadFile("/proc/cmdline")
	if err != nil {
		return map[string]string{}
	}
	return parseModuleParams(string(b))
}

// parseModuleParams reads module.param=value words of a kernel command
// line, up to the "--" that starts init's arguments.
func parseModuleParams(cmdline string) map[string]string {
	out := map[string]string{}
	for _, f := range strings.Fields(cmdline) {
		if f == "--" {
			break
		}
		mod, param, ok := strings.Cut(f, ".")
		if !ok || mod == "" || !strings.Contains(param, "=") || strings.ContainsAny(mod, "=/") {
			continue
		}
		mod = strings.ReplaceAll(mod, "-", "_")
		out[mod] = strings.TrimSpace(out[mod] + " " + param)
	}
	return out
}

// loadModule loads a (possibly compressed) module file; one the kernel
// has already is fine.
func loadModule(path, params string) error {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open module %s: %w", path, err)
	}
	defer unix.Close(fd)
	flags := 0
	if strings.HasSuffix(path, ".xz") || strings.HasSuffix(path, ".zst") || strings.HasSuffix(path, ".gz") {
		flags = unix.MODULE_INIT_COMPRESSED_FILE
	}
	if err := unix.FinitModule(fd, params, flags); err != nil && !errors.Is(err, unix.EEXIST) {
		return fmt.Errorf("load module %s: %w", path, err)
	}
	return nil
}

// virtioPorts maps the names of the guest's virtio-serial ports to their
// device names (vport0p1), as sysfs lists them.
func virtioPorts() map[string]string {
	out := map[string]string{}
	dirs, _ := os.ReadDir("/sys/class/virtio-ports")
	for _, d := range dirs {
		b, err := os.ReadFile(filepath.Join("/sys/class/virtio-ports", d.Name(), "name"))
		if err == nil {
			out[strings.TrimSpace(string(b))] = d.Name()
		}
	}
	return out
}

func devExists(p string) bool {
	var st unix.Stat_t
	return unix.Stat(p, &st) == nil && st.Mode&unix.S_IFMT == unix.S_IFCHR
}

// mountImage mounts the disk read-only at newRoot with a sandbox's mounts
// inside, binds the probe at /sandbox-probe, then makes newRoot the root.
func mountImage() error {
	if err := os.MkdirAll(newRoot, 0o755); err != nil {
		return err
	}
	if err := unix.Mount(imageDisk, newRoot, "ext4", unix.MS_RDONLY|unix.MS_NODEV, ""); err != nil {
		return fmt.Errorf("mount %s (ext4, read-only) on %s: %w", imageDisk, newRoot, err)
	}
	for _, m := range []struct {
		src, dir, fstype string
		flags            uintptr
		data             string
	}{
		{"proc", "proc", "proc", unix.MS_NOSUID | unix.MS_NOEXEC | unix.MS_NODEV, ""},
		{"sysfs", "sys", "sysfs", unix.MS_NOSUID | unix.MS_NOEXEC | unix.MS_NODEV, ""},
		{"devtmpfs", "dev", "devtmpfs", unix.MS_NOSUID | unix.MS_NOEXEC, "mode=0755"},
		{"tmpfs", "work", "tmpfs", unix.MS_NOSUID | unix.MS_NODEV, "mode=0755"},
		{"tmpfs", "tmp", "tmpfs", unix.MS_NOSUID | unix.MS_NODEV, "mode=1777"},
		{"tmpfs", "run", "tmpfs", unix.MS_NOSUID | unix.MS_NODEV, "mode=0755"},
	} {
		dir := filepath.Join(newRoot, m.dir)
		if err := unix.Mount(m.src, dir, m.fstype, m.flags, m.data); err != nil {
			return fmt.Errorf("mount %s on %s: %w", m.fstype, dir, err)
		}
	}
	self := filepath.Join(newRoot, "sandbox-probe")
	if err := unix.Mount("/init", self, "", unix.MS_BIND, ""); err != nil {
		return fmt.Errorf("bind the probe at %s: %w", self, err)
	}
	if err := unix.Chdir(newRoot); err != nil {
		return err
	}
	if err := unix.Mount(".", "/", "", unix.MS_MOVE, ""); err != nil {
		return fmt.Errorf("move %s over /: %w", newRoot, err)
	}
	if err := unix.Chroot("."); err != nil {
		return fmt.Errorf("chroot into the image: %w", err)
	}
	return unix.Chdir("/")
}

// startGuestAgent starts qemu-ga on port, its messages on the console, and
// reaps it when it ends. An image without it is no failure here: the
// host's guest-exec then finds no agent and says so.
func startGuestAgent(port string) {
	if _, err := os.Stat(qemuGA); err != nil {
		return
	}
	cmd := exec.Command(qemuGA, "--method=virtio-serial", "--path="+port, "--statedir=/run")
	cmd.Env = []string{defaultPath, "HOME=/work", "LANG=C.UTF-8"}
	cmd.Dir = "/"
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		os.Stderr.WriteString("sandbox-probe: start " + qemuGA + ": " + err.Error() + "\n")
		return
	}
	go cmd.Wait()
}
