package k8s

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sort"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/agentic-eval/agentic-eval/driver"
	"github.com/agentic-eval/agentic-eval/vms"
)

// Kind is a runtime as Kubernetes names it: the handler a RuntimeClass
// selects.
type Kind struct {
	// Variant is the driver's variant, "k8s/" + Name.
	Name string
	// System is the catalog row its figures belong to.
	System vms.System
	// Boundary is the isolation class of the handler's runtime.
	Boundary vms.Boundary
	// handler reports whether a RuntimeClass handler is this runtime; nil
	// for the node's default handler (no RuntimeClass).
	handler func(string) bool
	// fix is what would make it available when no RuntimeClass has it.
	fix string
}

// The kinds the registry lists.
var (
	Runc = Kind{Name: "runc", System: vms.Docker, Boundary: vms.BoundarySharedKernel,
		fix: "point --kubeconfig at a cluster with a Ready node (scripts/kube-up.sh brings one up here)"}
	GVisor = Kind{Name: "gvisor", System: vms.GVisor, Boundary: vms.BoundaryUserspaceKernel,
		handler: func(h string) bool { return h == "runsc" || strings.HasPrefix(h, "runsc-") || h == "gvisor" },
		fix:     "create a RuntimeClass whose handler is runsc (containerd with gVisor's containerd-shim-runsc-v1)"}
	Kata = Kind{Name: "kata", System: vms.Kata, Boundary: vms.BoundaryHardware,
		handler: func(h string) bool { return strings.HasPrefix(h, "kata") },
		fix:     "install Kata Containers on a node with KVM and create a RuntimeClass whose handler is kata (or kata-qemu, kata-fc)"}
)

// Timeouts of the driver's API calls.
const (
	apiTimeout     = 10 * time.Second // one request
	deleteTimeout  = 60 * time.Second // a pod to be gone after its delete
	cleanupTimeout = 90 * time.Second // a run's namespace to be gone
)

// Labels every object of a run carries.
const (
	RunLabel     = "agentic-eval/run"
	SandboxLabel = "agentic-eval/sandbox"
)

// Driver runs sandboxes as Pods of one RuntimeClass (or the default
// handler). Its zero value is not usable: call New.
type Driver struct {
	kind Kind
	// kubeconfig names the cluster; "" is Connect's search.
	kubeconfig string

	mu        sync.Mutex
	conn      *Conn
	class     string // the RuntimeClass name used, "" for the default handler
	node      string // the node pods are pinned to when it is this host, "" otherwise
	nodeLocal bool
	runID     string
	namespace string
	probeRef  string // the run's probe-only image
	imageRef  string // the run's sandbox image, "" when the run has none
	imported  []string
	socket    string // the local node's containerd socket, when imported

	// pending counts background removals of pods whose create got no
	// answer (Settle waits for them).
	pending sync.WaitGroup
}

var (
	_ driver.Driver   = (*Driver)(nil)
	_ driver.Preparer = (*Driver)(nil)
	_ driver.Reaper   = (*Driver)(nil)
	_ driver.Settler  = (*Driver)(nil)
	_ driver.Execer   = (*sandbox)(nil)
)

// New returns a driver for the kind, on the cluster Connect finds.
func New(k Kind) *Driver { return &Driver{kind: k} }

// NewOn returns a driver for the kind on the cluster of the kubeconfig at
// path ("" is New).
func NewOn(k Kind, kubeconfig string) *Driver { return &Driver{kind: k, kubeconfig: kubeconfig} }

// System is the kind's catalog row.
func (d *Driver) System() vms.System { return d.kind.System }

// Variant is "k8s/<kind>".
func (d *Driver) Variant() string { return "k8s/" + d.kind.Name }

// Capabilities are the Kubernetes API's, for a Pod: exec (the API's exec
// subresource) and images; no snapshot (the kubelet's checkpoint API is not
// driven here, and it needs CRIU).
func (d *Driver) Capabilities() driver.Capabilities {
	return driver.Capabilities{
		Exec:     true,
		Image:    true,
		Boundary: d.kind.Boundary,
		Control: driver.ControlPlane{
			Kind:               "Kubernetes API (REST with watch; exec and attach over WebSocket or SPDY)",
			Programmatic:       true,
			MachineErrors:      true, // metav1.Status with reason and code
			DiscoverableSchema: true, // OpenAPI v3 at /openapi/v3
			ToolNative:         false,
		},
	}
}

// Fingerprint connects to the cluster, checks it answers, finds the
// RuntimeClass for the kind and a Ready, schedulable node, and whether that
// node is this host (then pods are pinned to it, and density is measured
// from the node's view). It creates nothing.
func (d *Driver) Fingerprint(ctx context.Context) driver.Fingerprint {
	fp := driver.Fingerprint{Details: map[string]string{}}
	no := func(reason, fix string) driver.Fingerprint {
		fp.Available, fp.Reason, fp.Fix = false, reason, fix
		return fp
	}
	conn, err := ConnectTo(d.kubeconfig)
	if errors.Is(err, errNoConfig) {
		return no("no cluster: no kubeconfig at $"+KubeconfigEnv+", $KUBECONFIG or ~/.kube/config, not in a pod, and no local cluster at "+LocalKubeconfig,
			"pass --kubeconfig, or bring up the project's own cluster with scripts/kube-up.sh")
	}
	if err != nil {
		return no(err.Error(), "pass --kubeconfig with a valid kubeconfig")
	}
	fp.Details["kubeconfig"] = conn.Source
	fp.Details["server"] = conn.Config.Host
	cctx, cancel := context.WithTimeout(ctx, apiTimeout)
	defer cancel()
	v, err := conn.Client.Discovery().ServerVersion()
	if err != nil {
		return no(fmt.Sprintf("the API server at %s does not answer: %s", conn.Config.Host, oneLine(err)),
			"start the cluster (scripts/kube-up.sh for the project's own) or fix --kubeconfig")
	}
	fp.Version = v.GitVersion
	fp.Details["server_version"] = v.GitVersion

	class := ""
	if d.kind.handler != nil {
		rcs, err := conn.Client.NodeV1().RuntimeClasses().List(cctx, metav1.ListOptions{})
		if err != nil {
			return no(fmt.Sprintf("list RuntimeClasses: %s", oneLine(err)), "grant list on runtimeclasses.node.k8s.io")
		}
		var names []string
		for _, rc := range rcs.Items {
			names = append(names, rc.Name+"→"+rc.Handler)
			if class == "" && d.kind.handler(rc.Handler) {
				class = rc.Name
			}
		}
		sort.Strings(names)
		fp.Details["runtimeclasses"] = strings.Join(names, ",")
		if class == "" {
			have := "none"
			if len(names) > 0 {
				have = strings.Join(names, ", ")
			}
			return no(fmt.Sprintf("no RuntimeClass with a %s handler in the cluster (RuntimeClasses: %s)", d.kind.Name, have), d.kind.fix)
		}
		fp.Details["runtimeclass"] = class
	}

	nodes, err := conn.Client.CoreV1().Nodes().List(cctx, metav1.ListOptions{})
	if err != nil {
		return no(fmt.Sprintf("list nodes: %s", oneLine(err)), "grant list on nodes")
	}
	ready := readyNodes(nodes.Items)
	if len(ready) == 0 {
		return no(fmt.Sprintf("no Ready, schedulable node among the cluster's %d", len(nodes.Items)), "wait for a node to be Ready, or uncordon one")
	}
	local, isLocal := localNode(ready, hostAddrs())
	fp.Details["nodes_ready"] = fmt.Sprint(len(ready))
	if isLocal {
		fp.Details["node"] = local.Name + " (this host)"
		fp.Details["container_runtime"] = local.Status.NodeInfo.ContainerRuntimeVersion
		fp.Details["kubelet"] = local.Status.NodeInfo.KubeletVersion
	} else {
		fp.Warnings = append(fp.Warnings, "no node of the cluster is this host: pods go where the scheduler puts them, the probe's images must already be on the nodes, and per-sandbox memory is not measured")
	}
	fp.Warnings = append(fp.Warnings, "through Kubernetes: each start includes the API server, the scheduler and the kubelet's pacing, and the probe is reached through the API (logs, attach, exec)")
	d.mu.Lock()
	d.conn, d.class = conn, class
	if isLocal {
		d.node, d.nodeLocal = local.Name, true
	}
	d.mu.Unlock()
	fp.Available = true
	return fp
}

// readyNodes are the nodes that are Ready and schedulable, by name.
func readyNodes(nodes []corev1.Node) []corev1.Node {
	var out []corev1.Node
	for _, n := range nodes {
		if n.Spec.Unschedulable {
			continue
		}
		for _, c := range n.Status.Conditions {
			if c.Type == corev1.NodeReady && c.Status == corev1.ConditionTrue {
				out = append(out, n)
				break
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// localNode is the first node one of whose InternalIPs is an address of
// this host.
func localNode(nodes []corev1.Node, addrs map[string]bool) (corev1.Node, bool) {
	for _, n := range nodes {
		for _, a := range n.Status.Addresses {
			if a.Type == corev1.NodeInternalIP && addrs[a.Address] {
				return n, true
			}
		}
	}
	return corev1.Node{}, false
}

// hostAddrs are this host's interface addresses.
func hostAddrs() map[string]bool {
	out := map[string]bool{}
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return out
	}
	for _, a := range addrs {
		if ipn, ok := a.(*net.IPNet); ok {
			out[ipn.IP.String()] = true
		}
	}
	return out
}

func (d *Driver) connected() (*Conn, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.conn == nil {
		return nil, errors.New("the driver is not fingerprinted: no cluster connection")
	}
	return d.conn, nil
}

// oneLine flattens an error for a reason.
func oneLine(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}
