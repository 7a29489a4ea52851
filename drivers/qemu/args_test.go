package qemu

import (
	"slices"
	"strings"
	"testing"

	"github.com/agentic-eval/agentic-eval/probe"
)

func TestCommandLineOnTheImageAndWithout(t *testing.T) {
	base := bootConfig{Accel: TCG, QEMU: "/usr/bin/qemu-system-x86_64", Kernel: "/k", Initrd: "/i", Append: "console=ttyS0"}
	onImage := base
	onImage.Disk = "/cache/disks/0123456789abcdef-1-f1.ext4"
	for _, tc := range []struct {
		name       string
		cfg        bootConfig
		has, lacks []string
	}{
		{"probe-only initramfs", base,
			[]string{"stdio,id=console,signal=off", "chardev:console"},
			[]string{"virtio-serial-device", "virtio-blk-device,drive=image"}},
		{"image", onImage,
			[]string{
				"file=" + onImage.Disk + ",format=raw,if=none,id=image,readonly=on",
				"virtio-blk-device,drive=image",
				"virtio-serial-device",
				"stdio,id=agent,signal=off",
				"virtserialport,chardev=agent,name=" + probe.AgentPort,
				"socket,id=qga,path=/d/ae-r-000001.qga,server=on,wait=off",
				"virtserialport,chardev=qga,name=" + probe.GuestAgentPort,
				"file,id=console,path=/d/ae-r-000001.console",
			},
			[]string{"stdio,id=console,signal=off"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := &vm{id: "ae-r-000001", dir: "/d", cfg: tc.cfg}
			a := v.args("")
			for _, want := range tc.has {
				if !slices.Contains(a, want) {
					t.Errorf("no %q in %q", want, a)
				}
			}
			for _, not := range tc.lacks {
				if slices.Contains(a, not) {
					t.Errorf("%q in %q", not, a)
				}
			}
			// What a reap reads off an abandoned VM's command line names
			// every socket and file it made.
			paths := socketPathsInArgs(append([]string{"qemu-system-x86_64"}, a...))
			for _, f := range v.files() {
				if strings.HasSuffix(f, logSuffix) {
					continue // found beside the .qmp
				}
				if tc.cfg.Disk == "" && (strings.HasSuffix(f, qgaSuffix) || strings.HasSuffix(f, consoleSuffix)) {
					continue
				}
				if !slices.Contains(paths, f) {
					t.Errorf("the command line does not name %s: %q", f, paths)
				}
			}
		})
	}
}

func TestConfigPassesTheImageFlagOnlyWithADisk(t *testing.T) {
	if _, err := findQEMU(); err != nil {
		t.Skipf("config names the QEMU binary: %v", err)
	}
	d := NewTCG()
	// As Prepare leaves it: an initramfs, its probe and the boot kernel.
	d.initrd, d.probe, d.boot = "/i", "/p", bootKernel{Path: "/k", Form: FormPVH}
	for _, disk := range []string{"", "/cache/disk.ext4"} {
		cfg, err := d.config("/p", []string{"--sandbox=ae-r-000001"}, disk)
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Contains(cfg.Append, probe.ImageDiskFlag); got != (disk != "") {
			t.Errorf("disk %q: command line %q", disk, cfg.Append)
		}
		if cfg.Disk != disk {
			t.Errorf("cfg.Disk = %q, want %q", cfg.Disk, disk)
		}
	}
}

func TestCPUModelFollowsTheAccelerator(t *testing.T) {
	for accel, want := range map[Accelerator]string{KVM: "host", TCG: "max"} {
		t.Run(string(accel), func(t *testing.T) {
			v := &vm{id: "ae-r-000001", dir: "/d", cfg: bootConfig{Accel: accel, Kernel: "/k", Initrd: "/i"}}
			a := v.args("")
			i := slices.Index(a, "-cpu")
			if i < 0 || i+1 >= len(a) || a[i+1] != want {
				t.Fatalf("-cpu in %q, want -cpu %s", a, want)
			}
		})
	}
}
