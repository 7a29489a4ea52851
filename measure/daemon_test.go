package measure_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/agentic-eval/agentic-eval/driver"
	"github.com/agentic-eval/agentic-eval/drivers/docker"
	"github.com/agentic-eval/agentic-eval/measure"
	"github.com/agentic-eval/agentic-eval/results"
)

// A Docker daemon that is gone (its socket removed, as when dockerd stops)
// makes the driver's errors say so by type: an environment failure, the
// daemon unreachable, however the harness words it around them.
func TestDockerDaemonGoneIsEnvironment(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "dockerd.sock")
	d := docker.NewWithHost("unix://" + sock)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := d.Leftovers(ctx, "ae-0a1b2c3d")
	if err == nil {
		t.Fatal("listed the leftovers of a daemon that does not exist")
	}
	err = fmt.Errorf("start ae-0a1b2c3d-000004: %w", err)
	if c := measure.Classify(err); c != results.ClassEnvironment {
		t.Errorf("Classify(%v) = %q, want environment", err, c)
	}
	if !errors.Is(err, driver.ErrUnreachable) {
		t.Errorf("%v is not driver.ErrUnreachable", err)
	}
}
