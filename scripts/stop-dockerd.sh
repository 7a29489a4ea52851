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

# shellcheck source=lib-dockerd.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib-dockerd.sh"

say() { echo "stop-dockerd: $*"; }

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
