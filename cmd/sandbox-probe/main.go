//go:build linux

// Command sandbox-probe is the entry point of every sandbox the harness
// starts: under runc, Docker, gVisor, and as /init of a QEMU initramfs. It
// writes its ready line before anything else, then answers the protocol
// of package probe on stdin/stdout, and idles when its input ends.
//
// Arguments: --exec-check (probe.ExecFlag) prints one exec-ok line and
// exits, for the runtime's exec; --image-disk (probe.ImageDiskFlag), as a
// VM's init, boots into the image on the VM's disk first (vmimage.go); any
// other argument is ignored, so that the
// harness can put the sandbox's name on the command line (--sandbox=ID) and
// find a stray probe on the host by it.
//
// It must stay static (CGO_ENABLED=0), small and quick to start: it imports
// the standard library, golang.org/x/sys/unix and package probe only, and
// nothing heavier runs before the ready line.
package main

import (
	"bufio"
	"encoding/hex"
	"encoding/json"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/agentic-eval/agentic-eval/probe"
)

// token is the memory the harness asks the probe to hold across a
// snapshot and restore: a heap buffer, nothing more.
var token []byte

// pings counts pings served; it carries over a restore like the token.
var pings int

// initMode is set when the probe is the kernel's init (PID 1 without a
// mounted /proc): it must never exit.
var initMode bool

func main() {
	if len(os.Args) > 2 && os.Args[1] == childFlag {
		os.Exit(runChild(os.Args[2]))
	}
	if len(os.Args) == 3 && os.Args[1] == probe.RunFlag {
		reply, _ := agent(probe.ReqRun, os.Args[2])
		os.Stdout.WriteString(probe.Marker + reply + "\n")
		os.Exit(0)
	}
	if len(os.Args) == 2 && os.Args[1] == probe.FeaturesFlag {
		os.Stdout.WriteString(probe.Features + "\n")
		os.Exit(0)
	}
	if len(os.Args) > 1 && os.Args[1] == probe.ExecFlag {
		// A second process started in a running sandbox by the runtime's
		// exec: say so with its pid and leave.
		os.Stdout.WriteString(probe.Marker + probe.VerbExecOK + " pid=" + strconv.Itoa(unix.Getpid()) + "\n")
		os.Exit(0)
	}
	pid := unix.Getpid()
	ready := []byte("AEPROBE ready pid=" + strconv.Itoa(pid) + "\n")
	if pid == 1 && hasArg(probe.ImageDiskFlag) && !procMounted() {
		bootOnImage(ready) // never returns
	}
	_, werr := unix.Write(1, ready)
	// A serial console echoes what the harness sends until it is raw: do
	// it at once, before the requests that follow the ready line arrive.
	rawConsole(0)

	if pid == 1 && !procMounted() {
		initMode = true
		mountKernelFS()
		if werr != nil {
			// The kernel found no /dev/console in the initramfs, so init
			// has no stdio: open the console on devtmpfs and say ready now.
			openConsole()
			unix.Write(1, ready)
			rawConsole(0)
		}
	}
	serve(os.Stdin, os.Stdout)
	idle()
}

// procMounted reports whether /proc holds a procfs.
func procMounted() bool {
	var st unix.Statfs_t
	return unix.Statfs("/proc", &st) == nil && st.Type == unix.PROC_SUPER_MAGIC
}

// mountKernelFS mounts proc, sysfs and devtmpfs for the init case; what is
// already mounted or cannot be mounted is left as it is (the facts then say
// unknown with the reason).
func mountKernelFS() {
	for _, m := range []struct{ src, dir, fstype string }{
		{"proc", "/proc", "proc"},
		{"sysfs", "/sys", "sysfs"},
		{"devtmpfs", "/dev", "devtmpfs"},
	} {
		os.Mkdir(m.dir, 0o755)
		var root, dir unix.Stat_t
		if unix.Stat("/", &root) == nil && unix.Stat(m.dir, &dir) == nil && root.Dev != dir.Dev {
			continue // already a mount point
		}
		unix.Mount(m.src, m.dir, m.fstype, unix.MS_NOSUID|unix.MS_NOEXEC, "")
	}
}

// openConsole makes /dev/console the probe's stdin, stdout and stderr.
func openConsole() {
	fd, err := unix.Open("/dev/console", unix.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		return
	}
	for i := 0; i < 3; i++ {
		if fd != i {
			unix.Dup3(fd, i, 0)
		}
	}
	if fd > 2 {
		unix.Close(fd)
	}
}

// rawConsole puts fd in raw mode without echo when it is a tty (a serial
// console), without flushing input the harness may already have sent.
func rawConsole(fd int) {
	t, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	if err != nil {
		return
	}
	t.Iflag &^= unix.IGNBRK | unix.BRKINT | unix.PARMRK | unix.ISTRIP | unix.INLCR | unix.IGNCR | unix.ICRNL | unix.IXON
	t.Oflag &^= unix.OPOST
	t.Lflag &^= unix.ECHO | unix.ECHONL | unix.ICANON | unix.ISIG | unix.IEXTEN
	t.Cflag &^= unix.CSIZE | unix.PARENB
	t.Cflag |= unix.CS8
	t.Cc[unix.VMIN] = 1
	t.Cc[unix.VTIME] = 0
	unix.IoctlSetTermios(fd, unix.TCSETS, t)
}

// serve answers requests until in ends.
func serve(in io.Reader, out io.Writer) {
	br := bufio.NewReader(in)
	for {
		line, err := br.ReadString('\n')
		if req := strings.TrimSpace(line); req != "" {
			reply, exit := handle(req)
			io.WriteString(out, probe.Marker+reply+"\n")
			if exit {
				quit()
			}
		}
		if err != nil {
			return
		}
	}
}

// handle answers one request; exit asks the probe to end after replying.
func handle(req string) (reply string, exit bool) {
	if verb, body, _ := strings.Cut(req, " "); verb != "" {
		if reply, ok := agent(verb, body); ok {
			return reply, false
		}
	}
	f := strings.Fields(req)
	switch {
	case f[0] == "ping" && len(f) == 1:
		pings++
		return probe.VerbPong + " " + strconv.Itoa(pings), false
	case f[0] == "token" && len(f) == 3 && f[1] == "set":
		b, err := hex.DecodeString(f[2])
		if err != nil || len(b) == 0 {
			return probe.VerbError + " token set: want a non-empty hex token", false
		}
		token = b
		return probe.VerbTokenSet + " ok", false
	case f[0] == "token" && len(f) == 2 && f[1] == "get":
		if token == nil {
			return probe.VerbToken + " none", false
		}
		return probe.VerbToken + " " + hex.EncodeToString(token), false
	case f[0] == "facts" && len(f) <= 2:
		target := ""
		if len(f) == 2 {
			target = f[1]
		}
		b, err := json.Marshal(gather(target))
		if err != nil {
			return probe.VerbError + " facts: " + err.Error(), false
		}
		return probe.VerbFacts + " " + string(b), false
	case f[0] == "exit" && len(f) == 1:
		return probe.VerbBye, true
	}
	return probe.VerbError + " unknown request " + strconv.Quote(req), false
}

// quit ends the probe after "bye". As the kernel's init it powers the
// machine off instead (init exiting panics the kernel), and idles if that
// fails.
func quit() {
	if !initMode {
		os.Exit(0)
	}
	unix.Sync()
	unix.Reboot(unix.LINUX_REBOOT_CMD_POWER_OFF)
	idle()
}

// idle blocks forever without spinning. A sleep loop, not select{}: the Go
// runtime would call an empty select with no other goroutine a deadlock.
func idle() {
	for {
		time.Sleep(time.Hour)
	}
}
