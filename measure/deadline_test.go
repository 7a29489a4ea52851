package measure

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/agentic-eval/agentic-eval/results"
)

// hung is a sandbox whose every query waits until its context ends, as a
// hung runtime or daemon would: it tests the harness's deadlines, not a
// runtime.
type hung struct{}

func (hung) ID() string { return "ae-test-000001" }
func (hung) HostPIDs(ctx context.Context) ([]int, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}
func (hung) MemoryCgroup(ctx context.Context) (string, error) {
	<-ctx.Done()
	return "", ctx.Err()
}
func (hung) Destroy(ctx context.Context) error { return nil }

func TestDensityReadingsHaveTheOperationDeadline(t *testing.T) {
	// The test's own guard cancels (it does not time out) a reading that
	// ignores the operation timeout: the error then says which ended it.
	guard, cancel := context.WithCancel(context.Background())
	defer cancel()
	stop := time.AfterFunc(time.Minute, cancel)
	defer stop.Stop()
	_, err := sandboxMemory(guard, hung{}, 100*time.Millisecond)
	if errors.Is(err, context.Canceled) {
		t.Fatalf("a hung sandbox's memory reading ran until the test's guard ended it (%v): it must end at the operation timeout", err)
	}
	if !errors.Is(err, context.DeadlineExceeded) || Classify(err) != results.ClassTimeout {
		t.Errorf("error %v (class %q): want the operation's timeout", err, Classify(err))
	}
}
