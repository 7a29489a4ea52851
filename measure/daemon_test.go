package measure

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/client"

	"github.com/agentic-eval/agentic-eval/results"
)

// The Docker client's own error for a daemon that is gone (its socket
// removed, as when dockerd stops) is an environment failure and says the
// daemon is unreachable.
func TestDockerDaemonGoneIsEnvironment(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "dockerd.sock")
	cli, err := client.NewClientWithOpts(client.WithHost("unix://"+sock), client.WithAPIVersionNegotiation())
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err = cli.ContainerList(ctx, container.ListOptions{})
	if err == nil {
		t.Fatal("listed containers of a daemon that does not exist")
	}
	err = fmt.Errorf("start ae-0a1b2c3d-000004: %w", err)
	if c := Classify(err); c != results.ClassEnvironment {
		t.Errorf("Classify(%v) = %q, want environment", err, c)
	}
	if !results.DaemonUnreachable(err.Error()) {
		t.Errorf("DaemonUnreachable(%q) = false", err)
	}
}
