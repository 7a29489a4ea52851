#!/usr/bin/env bash
# kube-up.sh: bring up a real single-node Kubernetes on this host from the
# binaries scripts/setup-kubernetes.sh cached: etcd, kube-apiserver,
# kube-controller-manager, kube-scheduler, containerd and the kubelet, with
# RuntimeClasses for the runtimes this host has (runc always; gvisor where
# runsc and its shim are cached). The pause and probe images are imported
# into containerd; nothing is pulled.
#
# Everything it makes lives under one state directory ($AGENTIC_EVAL_KUBE_DIR,
# default /run/agentic-eval/kube) and one bridge (ae-kube0, 10.214.0.1/24,
# the node's address and the pods' gateway); the API server listens on
# 127.0.0.1 only and the kubelet on the bridge's address. scripts/kube-down.sh
# removes all of it: processes, mounts, cgroups, the bridge, network
# namespaces, state. A second kube-up finds a running cluster and returns.
#
# Prints the admin kubeconfig's path on its last line. Takes a few seconds.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

cache="${AGENTIC_EVAL_CACHE:-/var/cache/agentic-eval}"
kroot="$cache/kubernetes"
bin="$kroot/bin"
dir="${AGENTIC_EVAL_KUBE_DIR:-/run/agentic-eval/kube}"
node="${AGENTIC_EVAL_KUBE_NODE:-ae-kube-node}"
bridge=ae-kube0
node_ip=10.214.0.1
pod_subnet=10.214.0.0/24
service_cidr=10.215.0.0/24
api_port=16443
etcd_port=23790
runsc="$cache/bin/runsc"
export PATH="$bin:$PATH"

say() { echo "kube-up: $*" >&2; }
die() { say "$*"; exit 1; }
now_ms() { date +%s%3N; }
t0=$(now_ms)

((EUID == 0)) || die "must run as root (the kubelet and containerd need it)"
for b in etcd kube-apiserver kube-controller-manager kube-scheduler kubelet containerd ctr containerd-shim-runc-v2; do
	[[ -x "$bin/$b" ]] || die "$bin/$b is missing: run scripts/setup-kubernetes.sh (as root) to build it"
done
[[ -x /usr/lib/cni/bridge && -x /usr/lib/cni/host-local && -x /usr/lib/cni/loopback ]] ||
	die "CNI plugins missing in /usr/lib/cni: run scripts/setup-kubernetes.sh (it installs containernetworking-plugins)"
command -v openssl >/dev/null || die "openssl missing: run scripts/setup-kubernetes.sh"

kubeconfig="$dir/admin.kubeconfig"
if [[ -f "$dir/up" ]] && curl -fsS --max-time 2 --cacert "$dir/pki/ca.crt" --cert "$dir/pki/admin.crt" --key "$dir/pki/admin.key" \
	"https://127.0.0.1:$api_port/readyz" >/dev/null 2>&1; then
	say "a cluster is already up ($dir)"
	echo "$kubeconfig"
	exit 0
fi
if [[ -e "$dir" ]]; then
	say "leftovers of an earlier cluster in $dir: removing them first"
	bash scripts/kube-down.sh
fi

mkdir -p "$dir"/{pki,logs,pids,etcd,containerd/root,containerd/state,kubelet,pod-logs,cni/net.d,cni/ipam,runsc/root,runsc/logs}
chmod 0700 "$dir/pki"

# --- certificates: one CA, a serving cert for the API server, client certs.
pki="$dir/pki"
openssl_quiet() { openssl "$@" 2>/dev/null; }
openssl_quiet req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=agentic-eval-kube-ca" \
	-keyout "$pki/ca.key" -out "$pki/ca.crt"
# cert NAME SUBJECT [SAN]: a key and a certificate signed by the CA.
cert() {
	local name="$1" subj="$2" san="${3:-}"
	openssl_quiet req -newkey rsa:2048 -nodes -subj "$subj" -keyout "$pki/$name.key" -out "$pki/$name.csr"
	local ext="$pki/$name.ext"
	{
		echo "basicConstraints=CA:FALSE"
		echo "keyUsage=critical,digitalSignature,keyEncipherment"
		if [[ -n "$san" ]]; then
			echo "extendedKeyUsage=serverAuth,clientAuth"
			echo "subjectAltName=$san"
		else
			echo "extendedKeyUsage=clientAuth"
		fi
	} >"$ext"
	openssl_quiet x509 -req -in "$pki/$name.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial -days 2 \
		-extfile "$ext" -out "$pki/$name.crt"
	rm -f "$pki/$name.csr" "$ext"
}
cert apiserver "/CN=kube-apiserver" "IP:127.0.0.1,IP:$node_ip,IP:10.215.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc"
cert admin "/O=system:masters/CN=agentic-eval-admin"
cert apiserver-kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client"
cert controller-manager "/CN=system:kube-controller-manager"
cert scheduler "/CN=system:kube-scheduler"
cert kubelet-client "/O=system:nodes/CN=system:node:$node"
cert kubelet "/CN=$node" "IP:$node_ip,DNS:$node"
openssl_quiet genrsa -out "$pki/sa.key" 2048
openssl_quiet rsa -in "$pki/sa.key" -pubout -out "$pki/sa.pub"

# kubeconfig NAME CERT: a kubeconfig for the API server as CERT's subject.
kubeconfig_for() {
	local name="$1" c="$2"
	cat >"$dir/$name.kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: agentic-eval
  cluster:
    certificate-authority: $pki/ca.crt
    server: https://127.0.0.1:$api_port
users:
- name: $name
  user:
    client-certificate: $pki/$c.crt
    client-key: $pki/$c.key
contexts:
- name: agentic-eval
  context: {cluster: agentic-eval, user: $name}
current-context: agentic-eval
EOF
}
kubeconfig_for admin admin
kubeconfig_for controller-manager controller-manager
kubeconfig_for scheduler scheduler
kubeconfig_for kubelet kubelet-client

# --- the bridge: the node's address and the pods' gateway.
if ! ip link show "$bridge" >/dev/null 2>&1; then
	ip link add "$bridge" type bridge
fi
ip addr replace "$node_ip/24" dev "$bridge"
ip link set "$bridge" up

# daemon NAME CMD...: start CMD in the background with its log and pid
# under $dir; it runs in its own session, so a caller's signals do not
# reach it and kube-down finds it by its pid file.
daemon() {
	local name="$1"
	shift
	# No descriptor but the three standard ones is passed on: a caller's
	# lock (flock on the cluster lock) must not be held by the daemons.
	setsid "$@" >"$dir/logs/$name.log" 2>&1 </dev/null 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&- &
	echo $! >"$dir/pids/$name"
}
# wait_for WHAT SECONDS CMD...: poll CMD until it succeeds.
wait_for() {
	local what="$1" limit="$2" i
	shift 2
	for ((i = 0; i < limit * 10; i++)); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	say "$what did not come up in ${limit}s; the last lines of its log:"
	tail -n 20 "$dir/logs/$what.log" >&2 || true
	return 1
}

# --- etcd, on loopback.
daemon etcd etcd --name ae-kube --data-dir "$dir/etcd" \
	--listen-client-urls "http://127.0.0.1:$etcd_port" --advertise-client-urls "http://127.0.0.1:$etcd_port" \
	--listen-peer-urls "http://127.0.0.1:$((etcd_port + 1))" --initial-advertise-peer-urls "http://127.0.0.1:$((etcd_port + 1))" \
	--initial-cluster "ae-kube=http://127.0.0.1:$((etcd_port + 1))" --listen-metrics-urls "" \
	--unsafe-no-fsync --quota-backend-bytes $((512 << 20)) --log-level warn
wait_for etcd 30 curl -fsS "http://127.0.0.1:$etcd_port/health"

# --- the API server, on loopback.
daemon kube-apiserver kube-apiserver --bind-address 127.0.0.1 --secure-port "$api_port" --advertise-address "$node_ip" \
	--etcd-servers "http://127.0.0.1:$etcd_port" --service-cluster-ip-range "$service_cidr" \
	--tls-cert-file "$pki/apiserver.crt" --tls-private-key-file "$pki/apiserver.key" --client-ca-file "$pki/ca.crt" \
	--kubelet-client-certificate "$pki/apiserver-kubelet-client.crt" --kubelet-client-key "$pki/apiserver-kubelet-client.key" \
	--kubelet-preferred-address-types InternalIP \
	--service-account-key-file "$pki/sa.pub" --service-account-signing-key-file "$pki/sa.key" \
	--service-account-issuer https://kubernetes.default.svc --api-audiences https://kubernetes.default.svc \
	--authorization-mode Node,RBAC --enable-admission-plugins NodeRestriction \
	--allow-privileged=true --profiling=false --endpoint-reconciler-type none --v=1
api() { curl -fsS --max-time 2 --cacert "$pki/ca.crt" --cert "$pki/admin.crt" --key "$pki/admin.key" "https://127.0.0.1:$api_port$1"; }
wait_for kube-apiserver 60 api /readyz

daemon kube-controller-manager kube-controller-manager --kubeconfig "$dir/controller-manager.kubeconfig" \
	--authentication-kubeconfig "$dir/controller-manager.kubeconfig" --authorization-kubeconfig "$dir/controller-manager.kubeconfig" \
	--bind-address 127.0.0.1 --secure-port 0 --leader-elect=false --use-service-account-credentials \
	--service-account-private-key-file "$pki/sa.key" --root-ca-file "$pki/ca.crt" \
	--controllers '*,-nodeipam,-service,-route,-cloud-node-lifecycle,-bootstrapsigner,-tokencleaner,-persistentvolume-binder,-attachdetach,-persistentvolume-expander,-ephemeral-volume,-pvc-protection,-pv-protection,-ttl' \
	--v=1
daemon kube-scheduler kube-scheduler --kubeconfig "$dir/scheduler.kubeconfig" \
	--authentication-kubeconfig "$dir/scheduler.kubeconfig" --authorization-kubeconfig "$dir/scheduler.kubeconfig" \
	--bind-address 127.0.0.1 --secure-port 0 --leader-elect=false --v=1

# --- containerd, private to this cluster: its own root, state and socket.
sock="$dir/containerd/containerd.sock"
runtimes="
[plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc]
  runtime_type = 'io.containerd.runc.v2'
  [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]
    BinaryName = '/usr/sbin/runc'
    Root = '$dir/containerd/runc'
"
if [[ -x "$runsc" && -x "$bin/containerd-shim-runsc-v1" ]]; then
	cat >"$dir/containerd/runsc.toml" <<EOF
binary_name = "$runsc"
root = "$dir/runsc/root"
[runsc_config]
  platform = "systrap"
  debug-log = ""
EOF
	runtimes+="
[plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runsc]
  runtime_type = 'io.containerd.runsc.v1'
  [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runsc.options]
    TypeUrl = 'io.containerd.runsc.v1.options'
    ConfigPath = '$dir/containerd/runsc.toml'
"
fi
cat >"$dir/containerd/config.toml" <<EOF
version = 4
root = '$dir/containerd/root'
state = '$dir/containerd/state'
imports = []
disabled_plugins = ['io.containerd.nri.v1.nri', 'io.containerd.internal.v1.tracing', 'io.containerd.tracing.processor.v1.otlp']

[plugins.'io.containerd.server.v1.grpc']
  address = '$sock'
[plugins.'io.containerd.server.v1.ttrpc']
  address = '$sock.ttrpc'

[plugins.'io.containerd.internal.v1.opt']
  path = '$dir/containerd/opt'

[plugins.'io.containerd.cri.v1.images']
  snapshotter = 'overlayfs'
  [plugins.'io.containerd.cri.v1.images'.pinned_images]
    sandbox = 'localhost/agentic-eval/pause:3.10'

[plugins.'io.containerd.cri.v1.runtime']
  restrict_oom_score_adj = true
  netns_mounts_under_state_dir = true
  enable_selinux = false
  [plugins.'io.containerd.cri.v1.runtime'.containerd]
    default_runtime_name = 'runc'
  [plugins.'io.containerd.cri.v1.runtime'.cni]
    bin_dirs = ['/usr/lib/cni']
    conf_dir = '$dir/cni/net.d'
$runtimes
EOF
cat >"$dir/cni/net.d/10-agentic-eval.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "agentic-eval",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "$bridge",
      "isGateway": true,
      "ipMasq": false,
      "ipam": {
        "type": "host-local",
        "ranges": [[{"subnet": "$pod_subnet", "rangeStart": "10.214.0.10", "gateway": "$node_ip"}]],
        "dataDir": "$dir/cni/ipam"
      }
    }
  ]
}
EOF
daemon containerd containerd --config "$dir/containerd/config.toml"
wait_for containerd 30 ctr --address "$sock" version

# --- images, imported (never pulled): the pause image, then the probe
# images (scripts/kube-images.sh wrote them).
images="$kroot/images"
for tarball in "$images"/*.tar; do
	[[ -f "$tarball" ]] || continue
	ctr --address "$sock" -n k8s.io images import "$tarball" >/dev/null 2>&1
done
# (Listed into a variable first: grep -q would end the pipe early, and
# pipefail would take ctr's SIGPIPE for a missing image.)
listed=$(ctr --address "$sock" -n k8s.io images ls -q)
grep -qx 'localhost/agentic-eval/pause:3.10' <<<"$listed" ||
	die "the pause image is not in containerd: run scripts/setup-kubernetes.sh (it writes $images/pause.tar)"

# --- the kubelet, on the bridge's address.
cat >"$dir/kubelet/config.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: $node_ip
port: 10250
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: 10248
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: false}
  x509: {clientCAFile: $pki/ca.crt}
authorization: {mode: AlwaysAllow}
tlsCertFile: $pki/kubelet.crt
tlsPrivateKeyFile: $pki/kubelet.key
cgroupDriver: cgroupfs
failCgroupV1: false
failSwapOn: false
containerRuntimeEndpoint: unix://$sock
podLogsDir: $dir/pod-logs
resolvConf: ""
enableServer: true
maxPods: 250
serializeImagePulls: false
imageGCHighThresholdPercent: 100
evictionHard: {memory.available: 100Mi, nodefs.available: 1%, imagefs.available: 1%, nodefs.inodesFree: 1%}
evictionPressureTransitionPeriod: 5s
nodeStatusReportFrequency: 10s
syncFrequency: 10s
kubeAPIQPS: 100
kubeAPIBurst: 200
eventRecordQPS: 0
EOF
daemon kubelet kubelet --config "$dir/kubelet/config.yaml" --kubeconfig "$dir/kubelet.kubeconfig" \
	--root-dir "$dir/kubelet" --cert-dir "$dir/kubelet/pki" --node-ip "$node_ip" --hostname-override "$node" --v=1
# (Each reads the node into a variable before grep: grep -q ending a pipe
# early would make pipefail report ctr's or tr's SIGPIPE.)
node_json() { local j; j=$(api "/api/v1/nodes/$node") || return 1; tr -d ' \n' <<<"$j"; }
node_ready() { local j; j=$(node_json) || return 1; grep -qF '"type":"Ready","status":"True"' <<<"$j"; }
wait_for kubelet 90 node_ready
# The node lifecycle controller lifts the not-ready taint the node
# registers with; until then nothing schedules.
untainted() { local j; j=$(node_json) || return 1; ! grep -qF '"taints":' <<<"$j"; }
wait_for kube-controller-manager 60 untainted

# --- RuntimeClasses, as the cluster's API objects.
post() { curl -fsS --max-time 5 --cacert "$pki/ca.crt" --cert "$pki/admin.crt" --key "$pki/admin.key" \
	-H 'Content-Type: application/json' -X POST "https://127.0.0.1:$api_port$1" -d "$2" >/dev/null; }
post /apis/node.k8s.io/v1/runtimeclasses '{"apiVersion":"node.k8s.io/v1","kind":"RuntimeClass","metadata":{"name":"runc"},"handler":"runc"}'
if grep -q runsc "$dir/containerd/config.toml"; then
	post /apis/node.k8s.io/v1/runtimeclasses '{"apiVersion":"node.k8s.io/v1","kind":"RuntimeClass","metadata":{"name":"gvisor"},"handler":"runsc"}'
fi
# The default service account appears when the controller manager has run.
wait_for kube-controller-manager 30 api /api/v1/namespaces/default/serviceaccounts/default

touch "$dir/up"
say "cluster up in $((($(now_ms) - t0)))ms: node $node ($node_ip), API https://127.0.0.1:$api_port"
echo "$kubeconfig"
