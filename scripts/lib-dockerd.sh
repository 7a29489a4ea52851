# lib-dockerd.sh: what start-dockerd.sh and stop-dockerd.sh share, sourced by
# both (not run): the private dockerd's well-known paths, overridable from
# the environment, and how to find the daemon that serves its socket.
#   AGENTIC_EVAL_DOCKERD_SOCK      socket path      (/run/agentic-eval/dockerd.sock)
#   AGENTIC_EVAL_DOCKERD_DATA      --data-root      (/var/lib/agentic-eval/docker)
#   AGENTIC_EVAL_DOCKERD_PIDFILE   --pidfile        (/run/agentic-eval/dockerd.pid)
#   AGENTIC_EVAL_DOCKERD_TIMEOUT   seconds to wait  (60)

sock="${AGENTIC_EVAL_DOCKERD_SOCK:-/run/agentic-eval/dockerd.sock}"
data="${AGENTIC_EVAL_DOCKERD_DATA:-/var/lib/agentic-eval/docker}"
pidfile="${AGENTIC_EVAL_DOCKERD_PIDFILE:-/run/agentic-eval/dockerd.pid}"
timeout="${AGENTIC_EVAL_DOCKERD_TIMEOUT:-60}"

# is_dockerd PID: PID is a live (not zombie) process named dockerd.
is_dockerd() {
	[[ "$1" =~ ^[0-9]+$ ]] || return 1
	local stat
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	[[ "$stat" == "$1 (dockerd) "* ]] && [[ "${stat#*) }" != Z* ]]
}

# our_dockerd: the pid of a live dockerd serving our socket, from the
# pidfile or, when it has not written it (yet, or any more), from the
# process table. A pid in the pidfile that is no longer a dockerd is never
# taken for ours.
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
