#!/usr/bin/env bash
# kube-down.sh: remove the cluster scripts/kube-up.sh made, and everything
# it left on the host: pods (deleted through the API while it still
# answers), the kubelet and the control plane, containerd with its shims
# and the sandboxes they hold, the mounts under the state directory (pod
# volumes, overlay snapshots, network namespaces, gVisor's), the kubelet's
# cgroups (kubepods in every hierarchy), the bridge and the pods' veths,
# and the state directory itself. Safe to run when nothing is up, and
# after a kill -9 of any part: it finds what is left by path, pid file and
# name, never by guessing.
#
# Prints one line per kind of thing it removed, and fails when something
# could not be removed (naming it).
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

cache="${AGENTIC_EVAL_CACHE:-/var/cache/agentic-eval}"
bin="$cache/kubernetes/bin"
dir="${AGENTIC_EVAL_KUBE_DIR:-/run/agentic-eval/kube}"
bridge=ae-kube0
api_port=16443
export PATH="$bin:$PATH"

say() { echo "kube-down: $*" >&2; }
failed=0

if [[ ! -e "$dir" ]] && ! ip link show "$bridge" >/dev/null 2>&1; then
	say "nothing to remove"
	exit 0
fi

# 1. Pods, through the API, so the kubelet tears their sandboxes down
#    itself (a force delete, no grace: this is a teardown).
if [[ -f "$dir/pki/admin.crt" ]]; then
	api() { curl -fsS --max-time 5 --cacert "$dir/pki/ca.crt" --cert "$dir/pki/admin.crt" --key "$dir/pki/admin.key" "$@"; }
	if api "https://127.0.0.1:$api_port/readyz" >/dev/null 2>&1; then
		for ns in $(api "https://127.0.0.1:$api_port/api/v1/namespaces" | tr -d ' ' | sed -n 's/.*"name":"\([^"]*\)".*/\1/p' | sort -u); do
			api -X DELETE "https://127.0.0.1:$api_port/api/v1/namespaces/$ns/pods?gracePeriodSeconds=0" >/dev/null 2>&1 || true
		done
		# Wait a little for the kubelet to stop them (it is stopped next in
		# any case, and containerd's sandboxes are removed below).
		for ((i = 0; i < 50; i++)); do
			n=$(ctr --address "$dir/containerd/containerd.sock" -n k8s.io tasks ls -q 2>/dev/null | wc -l)
			((n == 0)) && break
			sleep 0.1
		done
	fi
fi

# stop NAME: SIGTERM the daemon of that pid file, then SIGKILL after 5 s.
stop() {
	local name="$1" pidfile="$dir/pids/$1" pid
	[[ -f "$pidfile" ]] || return 0
	pid=$(<"$pidfile")
	if [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid" 2>/dev/null
		for ((i = 0; i < 50; i++)); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
		say "stopped $name ($pid)"
	fi
	rm -f "$pidfile"
}

# 2. The kubelet first (it would restart what is killed below), then
#    containerd's sandboxes and the daemons.
stop kubelet
sock="$dir/containerd/containerd.sock"
if [[ -S "$sock" ]] && ctr --address "$sock" version >/dev/null 2>&1; then
	for t in $(ctr --address "$sock" -n k8s.io tasks ls -q 2>/dev/null); do
		ctr --address "$sock" -n k8s.io tasks kill -s KILL "$t" >/dev/null 2>&1 || true
	done
	sleep 0.2
	for t in $(ctr --address "$sock" -n k8s.io tasks ls -q 2>/dev/null); do
		ctr --address "$sock" -n k8s.io tasks delete -f "$t" >/dev/null 2>&1 || true
	done
	for c in $(ctr --address "$sock" -n k8s.io containers ls -q 2>/dev/null); do
		ctr --address "$sock" -n k8s.io containers delete "$c" >/dev/null 2>&1 || true
	done
fi
stop containerd
stop kube-scheduler
stop kube-controller-manager
stop kube-apiserver
stop etcd

# 3. Processes still holding the state directory: shims (containerd runs
#    them in their own sessions, so they outlive it), pause and pod
#    processes, gVisor's sandbox and gofer. Found by their command line or
#    their executable naming the state directory, or by their cgroup.
# This script and its callers (a flock on the cluster's lock, a test) are
# never among them: their command lines may name the lock, beside $dir.
ancestors=" "
for ((a = $$; a > 1; )); do
	ancestors+="$a "
	a=$(awk '{print $4}' "/proc/$a/stat" 2>/dev/null) || break
	[[ "$a" =~ ^[0-9]+$ ]] || break
done
leftover_pids() {
	local p
	for p in /proc/[0-9]*; do
		p=${p#/proc/}
		[[ "$ancestors" == *" $p "* ]] && continue
		local cmdline
		cmdline=$({ tr '\0' ' ' <"/proc/$p/cmdline"; } 2>/dev/null) || continue
		if [[ "$cmdline" == *"$dir/"* ]]; then
			echo "$p"
		elif grep -qE ':/kubepods(/|$)' "/proc/$p/cgroup" 2>/dev/null; then
			echo "$p"
		fi
	done
}
for sig in TERM KILL; do
	pids=$(leftover_pids)
	[[ -z "$pids" ]] && break
	# shellcheck disable=SC2086
	kill -"$sig" $pids 2>/dev/null
	say "sent SIG$sig to leftover processes: $(echo $pids)"
	for ((i = 0; i < 30; i++)); do
		[[ -z "$(leftover_pids)" ]] && break
		sleep 0.1
	done
done
if [[ -n "$(leftover_pids)" ]]; then
	say "processes still hold $dir: $(echo $(leftover_pids))"
	failed=1
fi

# 4. Mounts under the state directory (and the kubelet's pod volumes,
#    overlay snapshots, netns binds, gVisor's), deepest first; lazily when a
#    mount is busy.
mounts() { awk -v d="$dir" '$5 == d || index($5, d "/") == 1 {print $5}' /proc/self/mountinfo | sort -r; }
for m in $(mounts); do
	umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
done
if [[ -n "$(mounts)" ]]; then
	say "mounts remain: $(mounts | tr '\n' ' ')"
	failed=1
fi

# 5. The kubelet's cgroups, in every hierarchy (v1 controllers, the hybrid
# unified tree, and a cgroup v2 root itself), deepest first.
for h in /sys/fs/cgroup /sys/fs/cgroup/*; do
	for k in "$h/kubepods" "$h/kubepods.slice"; do
		[[ -d "$k" ]] || continue
		find "$k" -depth -type d -exec rmdir {} \; 2>/dev/null
		if [[ -d "$k" ]]; then
			say "cgroup $k could not be removed"
			failed=1
		fi
	done
done

# 6. The bridge and any veth left on it.
if ip link show "$bridge" >/dev/null 2>&1; then
	for v in $(ip -o link show master "$bridge" 2>/dev/null | awk -F': ' '{print $2}' | cut -d@ -f1); do
		ip link del "$v" 2>/dev/null || true
	done
	ip link del "$bridge" && say "removed bridge $bridge"
fi

# 7. The state directory.
if [[ -e "$dir" ]]; then
	rm -rf "$dir" 2>/dev/null
	if [[ -e "$dir" ]]; then
		say "$dir could not be removed"
		failed=1
	else
		say "removed $dir"
	fi
fi
exit "$failed"
