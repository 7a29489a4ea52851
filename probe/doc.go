// Package probe is the language the harness and the in-sandbox probe
// (cmd/sandbox-probe) speak, and what the harness makes of it.
//
// Its opinions: the harness owns the clock, so a line is timestamped on the
// harness's monotonic clock the moment it is read, never by the sandbox; a
// probe reports facts with their raw evidence and says "unknown" with the
// reason when a check cannot run, never a guess; and a boundary class is
// "observed" only when the facts decide it, otherwise it is the driver's
// declaration and labelled so. Nothing here does I/O beyond the io.Reader
// and io.Writer it is handed.
//
// # Protocol
//
// The probe's output is a sequence of lines. A line that carries the marker
// "AEPROBE " is a message; every other line is noise (a kernel console, a
// runtime's chatter) and is ignored. A trailing "\r" (serial consoles) is
// trimmed. Text before the marker on the same line is noise that ran into
// it (a console printk) and is dropped. A message is
//
//	AEPROBE <verb> [<payload>]
//
// The probe's first output line is
//
//	AEPROBE ready pid=<pid>
//
// written before the probe does anything else, so that its arrival is the
// sandbox's readiness. Afterwards the probe reads requests from its input,
// one per line (a trailing "\r" is trimmed), and answers each with exactly
// one message:
//
//	ping                 -> AEPROBE pong <n>           n counts pings served, from 1
//	token set <HEX>      -> AEPROBE token-set ok       the token is held in process memory
//	token get            -> AEPROBE token <hex>        lowercase, or "AEPROBE token none"
//	facts [HOST:PORT]    -> AEPROBE facts <JSON>       one line, a Facts value; HOST:PORT is
//	                                                   a TCP listener whose reachability is checked
//	exit                 -> AEPROBE bye                then the probe exits 0
//	anything else        -> AEPROBE error <message>
//
// The token survives a snapshot and restore because it is ordinary memory,
// and so does the ping counter: a restored probe prints no new ready line,
// it answers the harness's ping.
//
// When its input ends, the probe idles forever rather than exit (a
// detached container may have its stdin closed). When it runs as PID 1
// without a mounted /proc (the /init of a QEMU initramfs) it mounts proc,
// sysfs and devtmpfs itself, puts a console tty in raw mode, never exits
// (that would panic the kernel) and answers "exit" by powering the machine
// off after its "bye".
//
// # Facts and assessment
//
// The facts reply is a Facts value (versioned by FactsSchema): the kernel's
// identity (release, boot_id), capability sets, seccomp, no_new_privs, the
// uid/gid maps, what /proc and rtnetlink show, and yes/no/unknown Checks of
// classic escape preconditions, each with its raw evidence (the call made
// and its errno, the file read). Checks only ask: a file is created and
// removed, a tmpfs mounted and unmounted, finit_module is given fd -1, and
// writability of /sys and /proc/sys is asked of access(2), never tried.
//
// Assess turns facts and the host's identity into a boundary class and
// hardening findings. The class is observed only from the kernel identity
// (the host's boot_id and release: shared kernel; another boot_id and a
// gVisor release: userspace kernel); a VM's own kernel looks like any other
// kernel from inside, so hardware virtualization is always declared.
package probe
