package app

import (
	"os"
	"time"

	"github.com/agentic-eval/agentic-eval/driver"
	"github.com/agentic-eval/agentic-eval/drivers/registry"
	"github.com/agentic-eval/agentic-eval/reap"
	"github.com/agentic-eval/agentic-eval/vms"
)

// Config is what the application is told by its face: everything that is
// not a request.
type Config struct {
	// Kubeconfig names the cluster of the Kubernetes variants; empty is
	// the usual search ($KUBECONFIG, ~/.kube/config, in-cluster, then the
	// project's own cluster).
	Kubeconfig string
	// LedgerDir is where runs record themselves (reap.LedgerDir() when
	// empty).
	LedgerDir string
	// ResultsDirs, when set, are the only directories results files are
	// read from (the MCP server's --results-dir); empty is anywhere.
	ResultsDirs []string
	// FingerprintTimeout bounds each driver's fingerprint (30 s when
	// zero).
	FingerprintTimeout time.Duration
	// Drivers, when set, replaces the registry's drivers (tests of a face
	// that must see a given host).
	Drivers func() []driver.Driver
}

// App serves the requests of one face.
type App struct {
	cfg Config
}

// New is an App with cfg. A kubeconfig is checked when used, with the
// rest of a request.
func New(cfg Config) *App {
	if cfg.LedgerDir == "" {
		cfg.LedgerDir = reap.LedgerDir()
	}
	if cfg.FingerprintTimeout <= 0 {
		cfg.FingerprintTimeout = 30 * time.Second
	}
	return &App{cfg: cfg}
}

// Config is the configuration the App was made with.
func (a *App) Config() Config { return a.cfg }

// drivers are fresh drivers for every variant the application knows, in
// catalog order.
func (a *App) drivers() ([]driver.Driver, error) {
	if a.cfg.Drivers != nil {
		return a.cfg.Drivers(), nil
	}
	if k := a.cfg.Kubeconfig; k != "" {
		st, err := os.Stat(k)
		if err != nil {
			return nil, &InputError{Field: "kubeconfig", Err: err}
		}
		if !st.Mode().IsRegular() {
			return nil, inputf("kubeconfig", "%s is not a regular file (%s)", k, st.Mode().Type())
		}
	}
	return registry.DriversWith(registry.Options{Kubeconfig: a.cfg.Kubeconfig}), nil
}

// Variants are the names of every variant, in catalog order.
func Variants() []string { return registry.Variants() }

// Preferred says, per system, which of its variants speaks for it, most
// preferred first (see registry.Preferred).
func Preferred() map[vms.System][]string { return registry.Preferred() }
