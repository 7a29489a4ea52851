package k8s

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/klog/v2"

	"github.com/agentic-eval/agentic-eval/driver"
)

// KubeconfigEnv names the kubeconfig the drivers use when set: it wins over
// $KUBECONFIG and ~/.kube/config (the CLI's --kubeconfig sets it).
const KubeconfigEnv = "AGENTIC_EVAL_KUBECONFIG"

// LocalKubeconfig is where scripts/kube-up.sh writes the admin kubeconfig
// of the project's own single-node cluster; it is the last place looked.
const LocalKubeconfig = "/run/agentic-eval/kube/admin.kubeconfig"

// errNoConfig is returned when no kubeconfig is found anywhere.
var errNoConfig = errors.New("no kubeconfig")

// Conn is a connection to one cluster: its REST config and clientset, and
// where the config came from.
type Conn struct {
	Config *rest.Config
	Client kubernetes.Interface
	Source string // the kubeconfig path, or "in-cluster"
}

var (
	quietKlog sync.Once
	connMu    sync.Mutex
	connCache = map[string]*Conn{}
)

// Connect finds the cluster the usual way: $AGENTIC_EVAL_KUBECONFIG, then
// $KUBECONFIG, then ~/.kube/config, then the in-cluster service account,
// then the project's own cluster (LocalKubeconfig). The client is not
// throttled to client-go's default 5 requests per second, which would
// pace a burst of pods by the client instead of the cluster.
func Connect() (*Conn, error) { return ConnectTo("") }

// ConnectTo is Connect to the cluster of the kubeconfig at path, checked to
// be a regular file; an empty path is Connect's search.
func ConnectTo(kubeconfig string) (*Conn, error) {
	path, source := findConfig()
	if kubeconfig != "" {
		st, err := os.Stat(kubeconfig)
		if err != nil {
			return nil, fmt.Errorf("kubeconfig: %w", err)
		}
		if !st.Mode().IsRegular() {
			return nil, fmt.Errorf("kubeconfig %s is not a regular file (%s)", kubeconfig, st.Mode().Type())
		}
		path, source = kubeconfig, kubeconfig
	}
	connMu.Lock()
	defer connMu.Unlock()
	if c, ok := connCache[path+"|"+source]; ok {
		return c, nil
	}
	var cfg *rest.Config
	var err error
	switch {
	case source == "in-cluster":
		cfg, err = rest.InClusterConfig()
	case path != "":
		cfg, err = clientcmd.NewNonInteractiveDeferredLoadingClientConfig(
			&clientcmd.ClientConfigLoadingRules{ExplicitPath: path}, &clientcmd.ConfigOverrides{}).ClientConfig()
	default:
		return nil, errNoConfig
	}
	if err != nil {
		return nil, fmt.Errorf("kubeconfig %s: %w", source, err)
	}
	quietKlog.Do(func() {
		// client-go reports a closed attach or exec stream (every
		// sandbox's end) through klog; the driver returns its own errors.
		fs := flag.NewFlagSet("klog", flag.ContinueOnError)
		klog.InitFlags(fs)
		for name, v := range map[string]string{"logtostderr": "false", "alsologtostderr": "false", "stderrthreshold": "FATAL"} {
			_ = fs.Set(name, v)
		}
		klog.SetOutput(io.Discard)
	})
	c, err := newConn(cfg, source)
	if err != nil {
		return nil, err
	}
	connCache[path+"|"+source] = c
	return c, nil
}

// newConn is the connection for cfg: unthrottled, and every connection to
// the API server made through apiDialer, so that a server that cannot be
// reached is driver.ErrUnreachable whatever the call.
func newConn(cfg *rest.Config, source string) (*Conn, error) {
	cfg.QPS, cfg.Burst = 200, 400
	cfg.UserAgent = "agentic-eval"
	cfg.Dial = apiDialer(cfg.Dial)
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("kubernetes client for %s: %w", source, err)
	}
	return &Conn{Config: cfg, Client: cs, Source: source}, nil
}

// apiDialer is dial (nil: client-go's default dialer), its failures typed:
// a connection to the API server that fails for any reason but the
// caller's context ending is driver.ErrUnreachable. client-go keeps the
// dial error in the chain of what its calls return.
func apiDialer(dial func(ctx context.Context, network, addr string) (net.Conn, error)) func(ctx context.Context, network, addr string) (net.Conn, error) {
	if dial == nil {
		d := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}
		dial = d.DialContext
	}
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := dial(ctx, network, addr)
		if err != nil && ctx.Err() == nil {
			err = driver.Unreachable(err)
		}
		return c, err
	}
}

// streamFailure types the failure of an exec or attach stream: client-go
// dials those connections itself (WebSocket, SPDY), not through
// apiDialer, and returns the dial's *net.OpError in the chain; a dial that
// failed, and not for the context's end, is driver.ErrUnreachable.
func streamFailure(ctx context.Context, err error) error {
	var oe *net.OpError
	if err != nil && ctx.Err() == nil && errors.As(err, &oe) && oe.Op == "dial" {
		return driver.Unreachable(err)
	}
	return err
}

// findConfig returns the kubeconfig path to use and a description of where
// it came from; path is "" for in-cluster or none.
func findConfig() (path, source string) {
	if p := os.Getenv(KubeconfigEnv); p != "" {
		return p, p
	}
	if p := os.Getenv("KUBECONFIG"); p != "" {
		// The first of a list, as kubectl merges; one file is the usual case.
		p = filepath.SplitList(p)[0]
		return p, p
	}
	if home, err := os.UserHomeDir(); err == nil {
		p := filepath.Join(home, ".kube", "config")
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
			return p, p
		}
	}
	if os.Getenv("KUBERNETES_SERVICE_HOST") != "" {
		return "", "in-cluster"
	}
	if st, err := os.Stat(LocalKubeconfig); err == nil && st.Mode().IsRegular() {
		return LocalKubeconfig, LocalKubeconfig
	}
	return "", ""
}
