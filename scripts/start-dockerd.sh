#!/usr/bin/env bash
# start-dockerd.sh: start the project's private dockerd (Debian's docker.io)
# when it does not answer yet, and wait until it does.
#
# Private means its own socket, data root, exec root and pidfile, so it never
# collides with a system Docker; --iptables=false --ip-forward=false keep it
# away from the host's firewall and forwarding, and --bridge=none keeps it from
# creating a docker0 interface on the host (sandboxes get no network).
# --experimental enables the Engine's checkpoint API (docker checkpoint,
# through CRIU), which the docker driver's snapshot attempt needs.
#
# Idempotent: when the socket already answers `docker version`, nothing is
# started, and nothing running is restarted (a daemon started before
# --experimental was added is reported, with the restart that fixes it).
# On a timeout the log's tail is printed and the started daemon is stopped
# again. Environment (defaults are the project's well-known paths):
#   AGENTIC_EVAL_DOCKERD_SOCK      socket path      (/run/agentic-eval/dockerd.sock)
#   AGENTIC_EVAL_DOCKERD_DATA      --data-root      (/var/lib/agentic-eval/docker)
#   AGENTIC_EVAL_DOCKERD_EXEC      --exec-root      (/run/agentic-eval/docker-exec)
#   AGENTIC_EVAL_DOCKERD_PIDFILE   --pidfile        (/run/agentic-eval/dockerd.pid)
#   AGENTIC_EVAL_DOCKERD_LOG       log file         (/var/log/agentic-eval/dockerd.log)
#   AGENTIC_EVAL_DOCKERD_TIMEOUT   seconds to wait  (60)
set -euo pipefail

# shellcheck source=lib-dockerd.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib-dockerd.sh"
execroot="${AGENTIC_EVAL_DOCKERD_EXEC:-/run/agentic-eval/docker-exec}"
log="${AGENTIC_EVAL_DOCKERD_LOG:-/var/log/agentic-eval/dockerd.log}"
# Debian's client (20.10) speaks the daemon's API; /usr/local/bin/docker may
# be a newer client only.
docker=/usr/bin/docker

say() { echo "start-dockerd: $*"; }

answers() { timeout 10 "$docker" -H "unix://$sock" version >/dev/null 2>&1; }

# already_up: the daemon answers; say so, and whether it has the
# experimental features the checkpoint API needs.
already_up() {
	say "dockerd already answers on unix://$sock"
	local exp
	exp=$(timeout 10 "$docker" -H "unix://$sock" version --format '{{.Server.Experimental}}' 2>/dev/null || true)
	if [[ "$exp" != "true" ]]; then
		say "note: it runs without --experimental (no checkpoint API); to enable it, restart it: scripts/stop-dockerd.sh && scripts/start-dockerd.sh"
	fi
}

if [[ ! -x "$docker" ]]; then
	say "no Debian docker client at $docker: apt-get install docker.io" >&2
	exit 1
fi
if answers; then
	already_up
	exit 0
fi
if ! command -v dockerd >/dev/null; then
	say "dockerd not found on PATH: apt-get install docker.io" >&2
	exit 1
fi

mkdir -p "$(dirname "$sock")" "$data" "$execroot" "$(dirname "$pidfile")" "$(dirname "$log")"
# One start at a time (the daemon must not inherit the lock: 8>&- below).
exec 8>"$(dirname "$pidfile")/.start-dockerd.lock"
flock 8
if answers; then
	already_up
	exit 0
fi

started=0
# A dockerd found by our_dockerd that is half-way up (or wedged) is waited
# for, never doubled (two daemons on one data root corrupt each other).
if pid=$(our_dockerd); then
	say "dockerd $pid serves unix://$sock but does not answer yet; waiting for it"
else
	if [[ -e "$pidfile" ]]; then
		say "removing stale pidfile $pidfile"
		rm -f "$pidfile"
	fi
	rm -f "$sock"
	# setsid: the daemon outlives this script and the shell that ran it.
	setsid dockerd \
		-H "unix://$sock" \
		--data-root "$data" \
		--exec-root "$execroot" \
		--pidfile "$pidfile" \
		--iptables=false \
		--ip-forward=false \
		--bridge=none \
		--experimental \
		</dev/null >>"$log" 2>&1 8>&- &
	pid=$!
	started=1
	say "started dockerd $pid, logging to $log"
fi

deadline=$((SECONDS + timeout))
until answers; do
	if ! is_dockerd "$pid"; then
		say "dockerd $pid exited before answering; last lines of $log:" >&2
		tail -n 30 "$log" >&2 || true
		exit 1
	fi
	if ((SECONDS >= deadline)); then
		say "dockerd $pid did not answer on unix://$sock within ${timeout}s; last lines of $log:" >&2
		tail -n 30 "$log" >&2 || true
		if ((started)); then
			kill -TERM "$pid" 2>/dev/null || true
		else
			say "dockerd $pid was not started by this script: left running" >&2
		fi
		exit 1
	fi
	sleep 0.2
done
say "dockerd $pid answers on unix://$sock"
