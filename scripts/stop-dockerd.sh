#!/usr/bin/env bash
# stop-dockerd.sh: stop the project's private dockerd: SIGTERM to the pid in
# its pidfile (or, when the pidfile is gone, to the dockerd serving its
# socket), SIGKILL after a timeout. Only a live process named dockerd is
# signalled, never a reused pid. Afterwards the bind mount dockerd makes of
# its own data root is undone, so that nothing of it stays in the mount
# table. Idempotent: nothing running is success.
# Environment: as start-dockerd.sh (AGENTIC_EVAL_DOCKERD_SOCK, _DATA,
# _PIDFILE, _TIMEOUT).
set -euo pipefail

sock="${AGENTIC_EVAL_DOCKERD_SOCK:-/run/agentic-eval/dockerd.sock}"
data="${AGENTIC_EVAL_DOCKERD_DATA:-/var/lib/agentic-eval/docker}"
pidfile="${AGENTIC_EVAL_DOCKERD_PIDFILE:-/run/agentic-eval/dockerd.pid}"
timeout="${AGENTIC_EVAL_DOCKERD_TIMEOUT:-60}"

say() { echo "stop-dockerd: $*"; }

# is_dockerd PID: PID is a live (not zombie) process named dockerd.
is_dockerd() {
	[[ "$1" =~ ^[0-9]+$ ]] || return 1
	local stat
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	[[ "$stat" == "$1 (dockerd) "* ]] && [[ "${stat#*) }" != Z* ]]
}

# our_dockerd: the dockerd of the pidfile, else the one serving our socket.
our_dockerd() {
	local p
	if [[ -s "$pidfile" ]]; then
		p=$(cat "$pidfile")
		if is_dockerd "$p"; then
			echo "$p"
			return 0
		fi
	fi
	for p in /proc/[0-9]*; do
		p=${p#/proc/}
		is_dockerd "$p" || continue
		if tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -qF -- "unix://$sock "; then
			echo "$p"
			return 0
		fi
	done
	return 1
}

# unmount_data_root: undo dockerd's bind mount of the data root onto itself
# (mountinfo root field equal to the mount point), never a real file system
# mounted there.
unmount_data_root() {
	local d
	d=$(realpath -m "$data")
	while awk -v d="$d" '$5 == d && $4 == d { found = 1 } END { exit !found }' /proc/self/mountinfo; do
		umount "$d"
		say "unmounted dockerd's bind mount of $d"
	done
}

if ! pid=$(our_dockerd); then
	rm -f "$pidfile"
	unmount_data_root
	say "no dockerd running for unix://$sock"
	exit 0
fi
kill -TERM "$pid"
deadline=$((SECONDS + timeout))
while is_dockerd "$pid"; do
	if ((SECONDS >= deadline)); then
		say "dockerd $pid still running after ${timeout}s: SIGKILL"
		kill -KILL "$pid" 2>/dev/null || true
		break
	fi
	sleep 0.1
done
rm -f "$pidfile" "$sock"
unmount_data_root
say "stopped dockerd $pid"
