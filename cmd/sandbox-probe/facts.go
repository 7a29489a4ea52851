//go:build linux

package main

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"sort"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/agentic-eval/agentic-eval/probe"
)

// gather runs the isolation battery. Every check records its raw evidence;
// a check that cannot run says unknown and why. Nothing here changes the
// system beyond what it undoes at once (a file created and removed, a
// tmpfs mounted and unmounted, a child process that exits).
func gather(target string) probe.Facts {
	f := probe.Facts{
		Schema: probe.FactsSchema,
		PID:    unix.Getpid(),
		UID:    unix.Getuid(),
		EUID:   unix.Geteuid(),
	}
	// First, while the probe has no children of its own.
	f.Processes = processes(f.PID)

	var uts unix.Utsname
	if err := unix.Uname(&uts); err != nil {
		f.KernelRelease.Unknown = "uname: " + errStr(err)
	} else {
		f.KernelRelease.Value = unix.ByteSliceToString(uts.Release[:])
	}
	f.BootID = readValue("/proc/sys/kernel/random/boot_id")

	if status, err := os.ReadFile("/proc/self/status"); err != nil {
		why := "read /proc/self/status: " + errStr(err)
		f.CapEff.Unknown, f.CapPrm.Unknown, f.CapBnd.Unknown = why, why, why
		f.Seccomp.Unknown, f.SeccompFilters.Unknown, f.NoNewPrivs.Unknown = why, why, why
	} else {
		f.CapEff = caps(string(status), "CapEff")
		f.CapPrm = caps(string(status), "CapPrm")
		f.CapBnd = caps(string(status), "CapBnd")
		f.Seccomp = statusReading(string(status), "Seccomp")
		f.SeccompFilters = statusReading(string(status), "Seccomp_filters")
		f.NoNewPrivs = statusReading(string(status), "NoNewPrivs")
	}

	f.UIDMap = readValue("/proc/self/uid_map")
	f.GIDMap = readValue("/proc/self/gid_map")
	f.UID0HostRoot = uid0HostRoot(f.UIDMap)

	f.Interfaces = interfaces()
	f.HostLoopback = tcpReach(target)

	f.RootWritable = createFile("/")
	f.TmpWritable = createFile("/tmp")
	f.ProcKcore = openCheck("/proc/kcore")
	f.DevMem = openCheck("/dev/mem")
	f.BlockDevices, f.BlockDeviceOpen = blockDevices()
	f.ModuleLoad = moduleLoad()
	f.Mount = mountCheck()
	f.PtracePID1 = childCheck("ptrace-pid1", 0)
	f.UserNS = childCheck("noop", unix.CLONE_NEWUSER)
	f.SysWritable = writable("/sys/kernel/uevent_helper", "/sys/kernel/mm/transparent_hugepage/enabled", "/sys")
	f.ProcSysWritable = writable("/proc/sys/kernel/core_pattern")
	f.SysrqWritable = writable("/proc/sysrq-trigger")
	f.CgroupReleaseAgt = releaseAgent()
	f.RuntimeSocket = runtimeSocket()
	f.Keyctl = keyctl()
	f.Dmesg = dmesg()
	return f
}

// errStr names an errno ("EPERM (operation not permitted)") or returns the
// error's text.
func errStr(err error) string {
	var e syscall.Errno
	if errors.As(err, &e) {
		if n := unix.ErrnoName(e); n != "" {
			return n + " (" + e.Error() + ")"
		}
	}
	return err.Error()
}

func isErrno(err error, errnos ...syscall.Errno) bool {
	for _, e := range errnos {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

func yes(evidence string) probe.Check   { return probe.Check{Result: probe.Yes, Evidence: evidence} }
func no(evidence string) probe.Check    { return probe.Check{Result: probe.No, Evidence: evidence} }
func unknown(reason string) probe.Check { return probe.Check{Result: probe.Unknown, Evidence: reason} }

func readValue(path string) probe.Reading {
	b, err := os.ReadFile(path)
	if err != nil {
		return probe.Reading{Unknown: "read " + path + ": " + errStr(err)}
	}
	return probe.Reading{Value: strings.TrimSpace(string(b))}
}

func statusReading(status, field string) probe.Reading {
	v, ok := probe.StatusField(status, field)
	if !ok {
		return probe.Reading{Unknown: "no " + field + " field in /proc/self/status"}
	}
	return probe.Reading{Value: v}
}

func caps(status, field string) probe.Caps {
	v, ok := probe.StatusField(status, field)
	if !ok {
		return probe.Caps{Unknown: "no " + field + " field in /proc/self/status"}
	}
	c, err := probe.DecodeCaps(v)
	if err != nil {
		return probe.Caps{Hex: v, Unknown: err.Error()}
	}
	return c
}

func uid0HostRoot(m probe.Reading) probe.Check {
	if m.Unknown != "" {
		return unknown(m.Unknown)
	}
	ev := fmt.Sprintf("uid_map %q", m.Value)
	out, ok := probe.UID0Mapping(m.Value)
	switch {
	case !ok:
		return no(ev + ": uid 0 is not mapped")
	case out != 0:
		return no(fmt.Sprintf("%s: uid 0 maps to uid %d outside", ev, out))
	case strings.Join(strings.Fields(m.Value), " ") == "0 0 4294967295":
		return yes(ev + ": the identity map of the initial user namespace, so uid 0 is the root of the kernel the sandbox sees")
	default:
		return yes(ev + ": uid 0 maps to uid 0 of the parent user namespace")
	}
}

// processes counts what /proc shows: kernel threads apart, and apart from
// the probe, its ancestors (a runtime's init, a shell) and its children.
func processes(self int) probe.Processes {
	var p probe.Processes
	ents, err := os.ReadDir("/proc")
	if err != nil {
		p.Unknown = "read /proc: " + errStr(err)
		return p
	}
	type proc struct {
		pid, ppid int
		comm      string
		kthread   bool
	}
	var procs []proc
	parent := map[int]int{}
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		p.Count++
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue // gone meanwhile
		}
		s := string(b)
		open, close := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
		if open < 0 || close < open {
			continue
		}
		fl := strings.Fields(s[close+1:])
		if len(fl) < 7 {
			continue
		}
		ppid, _ := strconv.Atoi(fl[1])
		flags, _ := strconv.ParseUint(fl[6], 10, 64)
		const pfKthread = 0x00200000
		procs = append(procs, proc{pid, ppid, s[open+1 : close], flags&pfKthread != 0 || pid == 2 || ppid == 2})
		parent[pid] = ppid
	}
	ancestors := map[int]bool{}
	for a := parent[self]; a > 0 && !ancestors[a]; a = parent[a] {
		ancestors[a] = true
	}
	var others []string
	for _, q := range procs {
		switch {
		case q.kthread:
			p.KernelThreads++
		case q.pid == self || q.ppid == self || ancestors[q.pid]:
		default:
			p.Others++
			if len(others) < 10 {
				others = append(others, strconv.Itoa(q.pid)+":"+q.comm)
			}
		}
	}
	p.Evidence = fmt.Sprintf("/proc lists %d processes, %d kernel threads, %d ancestors of the probe", p.Count, p.KernelThreads, len(ancestors))
	if len(others) > 0 {
		p.Evidence += "; others: " + strings.Join(others, " ")
	}
	return p
}

// interfaces lists network interfaces over rtnetlink, as ip link does.
func interfaces() probe.Interfaces {
	rib, err := syscall.NetlinkRIB(syscall.RTM_GETLINK, syscall.AF_UNSPEC)
	if err != nil {
		return probe.Interfaces{Unknown: "rtnetlink RTM_GETLINK: " + errStr(err)}
	}
	msgs, err := syscall.ParseNetlinkMessage(rib)
	if err != nil {
		return probe.Interfaces{Unknown: "parse rtnetlink reply: " + err.Error()}
	}
	names := []string{}
	for _, m := range msgs {
		if m.Header.Type != syscall.RTM_NEWLINK {
			continue
		}
		attrs, err := syscall.ParseNetlinkRouteAttr(&m)
		if err != nil {
			continue
		}
		for _, a := range attrs {
			if a.Attr.Type == syscall.IFLA_IFNAME {
				names = append(names, unix.ByteSliceToString(a.Value))
			}
		}
	}
	sort.Strings(names)
	return probe.Interfaces{Names: names}
}

// tcpReach tries a TCP connect to target with a one-second limit.
func tcpReach(target string) probe.Check {
	if target == "" {
		return unknown("no HOST:PORT given to check")
	}
	ap, err := netip.ParseAddrPort(target)
	if err != nil {
		return unknown(fmt.Sprintf("target %q is not IP:PORT: %v", target, err))
	}
	ap = netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	var sa unix.Sockaddr
	family := unix.AF_INET
	if ap.Addr().Is4() {
		sa = &unix.SockaddrInet4{Port: int(ap.Port()), Addr: ap.Addr().As4()}
	} else {
		family = unix.AF_INET6
		sa = &unix.SockaddrInet6{Port: int(ap.Port()), Addr: ap.Addr().As16()}
	}
	fd, err := unix.Socket(family, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return unknown("socket: " + errStr(err))
	}
	defer unix.Close(fd)
	ev := "connect " + target + ": "
	err = unix.Connect(fd, sa)
	if err == unix.EINPROGRESS {
		pfd := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLOUT}}
		n, perr := unix.Poll(pfd, 1000)
		for perr == unix.EINTR {
			n, perr = unix.Poll(pfd, 1000)
		}
		switch {
		case perr != nil:
			return unknown(ev + "poll: " + errStr(perr))
		case n == 0:
			return no(ev + "no answer within 1s")
		}
		soerr, gerr := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_ERROR)
		if gerr != nil {
			return unknown(ev + "SO_ERROR: " + errStr(gerr))
		}
		if soerr != 0 {
			err = syscall.Errno(soerr)
		} else {
			err = nil
		}
	}
	if err != nil {
		return no(ev + errStr(err))
	}
	return yes(ev + "connected")
}

// createFile creates and removes a file in dir.
func createFile(dir string) probe.Check {
	f, err := os.CreateTemp(dir, ".aeprobe-*")
	if err != nil {
		if isErrno(err, unix.EROFS, unix.EACCES, unix.EPERM, unix.ENOENT) {
			return no("create in " + dir + ": " + errStr(err))
		}
		return unknown("create in " + dir + ": " + errStr(err))
	}
	name := f.Name()
	f.Close()
	if err := os.Remove(name); err != nil {
		return yes("created " + name + " (remove failed: " + errStr(err) + ")")
	}
	return yes("created and removed " + name)
}

func openCheck(path string) probe.Check {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC|unix.O_NONBLOCK, 0)
	if err != nil {
		if isErrno(err, unix.ENOENT, unix.EPERM, unix.EACCES, unix.ENXIO, unix.ENODEV, unix.EROFS) {
			return no("open " + path + " O_RDONLY: " + errStr(err))
		}
		return unknown("open " + path + " O_RDONLY: " + errStr(err))
	}
	unix.Close(fd)
	return yes("open " + path + " O_RDONLY: ok")
}

// blockDevices lists block device nodes in /dev (and /sys/block for
// evidence) and tries to open the first for reading.
func blockDevices() (present, opened probe.Check) {
	ents, err := os.ReadDir("/dev")
	if err != nil {
		why := "read /dev: " + errStr(err)
		return unknown(why), unknown(why)
	}
	var nodes []string
	for _, e := range ents {
		if e.Type()&os.ModeDevice != 0 && e.Type()&os.ModeCharDevice == 0 {
			nodes = append(nodes, "/dev/"+e.Name())
		}
	}
	sys := "/sys/block unreadable"
	if se, err := os.ReadDir("/sys/block"); err == nil {
		var names []string
		for _, e := range se {
			names = append(names, e.Name())
		}
		sys = "/sys/block: [" + strings.Join(names, " ") + "]"
	}
	if len(nodes) == 0 {
		none := "no block device nodes in /dev; " + sys
		return no(none), no(none)
	}
	present = yes("block device nodes: " + strings.Join(nodes, " ") + "; " + sys)
	return present, openCheck(nodes[0])
}

// moduleLoad asks finit_module(2) to load from fd -1: the kernel checks
// CAP_SYS_MODULE (and modules_disabled) before the fd, so EPERM means
// loading is refused and EBADF means the permission check passed. Nothing
// is ever loaded.
func moduleLoad() probe.Check {
	err := unix.FinitModule(-1, "", 0)
	ev := "finit_module(-1, \"\", 0): " + errStr(err)
	if md := readValue("/proc/sys/kernel/modules_disabled"); md.Value != "" {
		ev += "; modules_disabled=" + md.Value
	}
	switch {
	case err == nil:
		return yes(ev)
	case isErrno(err, unix.EBADF):
		return yes(ev + ": past the permission check")
	case isErrno(err, unix.EPERM, unix.ENOSYS, unix.EACCES):
		return no(ev)
	}
	return unknown(ev)
}

// mountCheck mounts a tmpfs on a fresh temporary directory and unmounts it
// at once.
func mountCheck() probe.Check {
	var dir string
	var mkErr error
	for _, parent := range []string{os.TempDir(), "/dev/shm", "/run", "/"} {
		d, err := os.MkdirTemp(parent, ".aeprobe-mnt-*")
		if err == nil {
			dir = d
			break
		}
		mkErr = err
	}
	if dir == "" {
		return unknown("no writable directory to mount on: " + errStr(mkErr))
	}
	defer os.Remove(dir)
	err := unix.Mount("aeprobe", dir, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, "size=4k")
	ev := "mount tmpfs on " + dir + ": "
	if err != nil {
		if isErrno(err, unix.EPERM, unix.EACCES, unix.ENOSYS, unix.EROFS) {
			return no(ev + errStr(err))
		}
		return unknown(ev + errStr(err))
	}
	if uerr := unix.Unmount(dir, 0); uerr != nil {
		unix.Unmount(dir, unix.MNT_DETACH)
	}
	return yes(ev + "ok (unmounted)")
}

// childFlag runs the probe as a one-shot child check (see runChild).
const childFlag = "-aeprobe-child"

// childCheck runs the probe again as a child, cloned with cloneflags, to
// run one check that needs a process of its own: "ptrace-pid1" (the child
// exits with the errno of PTRACE_SEIZE of pid 1, 0 on success; its exit
// detaches) or "noop" (exits 0, for the clone flags alone).
func childCheck(what string, cloneflags uintptr) probe.Check {
	self := "/proc/self/exe"
	desc := what
	if cloneflags&unix.CLONE_NEWUSER != 0 {
		desc = "clone(CLONE_NEWUSER)"
	}
	pid, err := syscall.ForkExec(self, []string{"sandbox-probe", childFlag, what}, &syscall.ProcAttr{
		Sys: &syscall.SysProcAttr{Cloneflags: cloneflags},
	})
	if err != nil {
		if cloneflags != 0 && isErrno(err, unix.EPERM, unix.EINVAL, unix.ENOSPC, unix.EUSERS, unix.ENOSYS) {
			return no(desc + ": " + errStr(err))
		}
		return unknown(desc + ": start child " + self + ": " + errStr(err))
	}
	var ws syscall.WaitStatus
	for {
		_, err = syscall.Wait4(pid, &ws, 0, nil)
		if err != unix.EINTR {
			break
		}
	}
	if err != nil {
		return unknown(desc + ": wait for child: " + errStr(err))
	}
	if !ws.Exited() {
		return unknown(fmt.Sprintf("%s: child ended by %v", desc, ws.Signal()))
	}
	code := ws.ExitStatus()
	if what == "noop" {
		if code == 0 {
			return yes(desc + ": child ran in a new user namespace")
		}
		return unknown(fmt.Sprintf("%s: child exited %d", desc, code))
	}
	if code == 0 {
		ev := "PTRACE_SEIZE pid 1 from a child process: ok (detached on its exit)"
		if unix.Getpid() == 1 {
			ev += "; pid 1 is the probe itself"
		}
		return yes(ev)
	}
	if code >= 200 {
		return unknown(fmt.Sprintf("PTRACE_SEIZE pid 1: child failed (exit %d)", code))
	}
	e := syscall.Errno(code)
	if isErrno(e, unix.EPERM, unix.EACCES, unix.ENOSYS, unix.ESRCH) {
		return no("PTRACE_SEIZE pid 1 from a child process: " + errStr(e))
	}
	return unknown("PTRACE_SEIZE pid 1 from a child process: " + errStr(e))
}

// runChild is the child side of childCheck; its exit status is the result.
func runChild(what string) int {
	switch what {
	case "noop":
		return 0
	case "ptrace-pid1":
		if err := unix.PtraceSeize(1); err != nil {
			var e syscall.Errno
			if errors.As(err, &e) && int(e) < 200 {
				return int(e)
			}
			return 201
		}
		return 0 // exiting detaches
	}
	return 202
}

// writable asks access(2) whether the first existing path is writable:
// no write is ever made.
func writable(paths ...string) probe.Check {
	for _, p := range paths {
		var st unix.Stat_t
		if err := unix.Stat(p, &st); err != nil {
			continue
		}
		err := unix.Faccessat(unix.AT_FDCWD, p, unix.W_OK, 0)
		if err == nil {
			return yes("access(" + p + ", W_OK): ok")
		}
		if isErrno(err, unix.EROFS, unix.EACCES, unix.EPERM) {
			return no("access(" + p + ", W_OK): " + errStr(err))
		}
		return unknown("access(" + p + ", W_OK): " + errStr(err))
	}
	return no("none present: " + strings.Join(paths, " "))
}

// releaseAgent looks for a writable cgroup v1 release_agent, the classic
// container escape.
func releaseAgent() probe.Check {
	var found []string
	if ents, err := os.ReadDir("/sys/fs/cgroup"); err == nil {
		for _, e := range ents {
			p := "/sys/fs/cgroup/" + e.Name() + "/release_agent"
			if _, err := os.Lstat(p); err == nil {
				found = append(found, p)
			}
		}
	}
	if _, err := os.Lstat("/sys/fs/cgroup/release_agent"); err == nil {
		found = append(found, "/sys/fs/cgroup/release_agent")
	}
	if len(found) == 0 {
		return no("no cgroup v1 release_agent visible under /sys/fs/cgroup")
	}
	var ev []string
	for _, p := range found {
		err := unix.Faccessat(unix.AT_FDCWD, p, unix.W_OK, 0)
		if err == nil {
			return yes("access(" + p + ", W_OK): ok")
		}
		ev = append(ev, "access("+p+", W_OK): "+errStr(err))
	}
	return no(strings.Join(ev, "; "))
}

func runtimeSocket() probe.Check {
	paths := []string{
		"/var/run/docker.sock", "/run/docker.sock", "/run/containerd/containerd.sock",
		"/run/agentic-eval/dockerd.sock", "/run/crio/crio.sock", "/run/podman/podman.sock",
	}
	var found []string
	for _, p := range paths {
		if st, err := os.Lstat(p); err == nil && st.Mode()&os.ModeSocket != 0 {
			found = append(found, p)
		}
	}
	if len(found) > 0 {
		return yes("sockets present: " + strings.Join(found, " "))
	}
	return no("none of " + strings.Join(paths, " "))
}

func keyctl() probe.Check {
	id, err := unix.KeyctlGetKeyringID(unix.KEY_SPEC_SESSION_KEYRING, false)
	ev := "keyctl(KEYCTL_GET_KEYRING_ID, session): "
	switch {
	case err == nil:
		return yes(ev + "keyring " + strconv.Itoa(id))
	case isErrno(err, unix.ENOKEY):
		return yes(ev + errStr(err))
	case isErrno(err, unix.EPERM, unix.ENOSYS, unix.EACCES):
		return no(ev + errStr(err))
	}
	return unknown(ev + errStr(err))
}

func dmesg() probe.Check {
	n, err := unix.Klogctl(unix.SYSLOG_ACTION_SIZE_BUFFER, nil)
	ev := "syslog(SYSLOG_ACTION_SIZE_BUFFER): "
	switch {
	case err == nil:
		return yes(ev + strconv.Itoa(n) + " bytes")
	case isErrno(err, unix.EPERM, unix.ENOSYS, unix.EACCES):
		return no(ev + errStr(err))
	}
	return unknown(ev + errStr(err))
}
