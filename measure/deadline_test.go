package measure

import (
	"context"
	"testing"
	"time"
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
	t0 := time.Now()
	_, err := sandboxMemory(context.Background(), hung{}, 100*time.Millisecond)
	if took := time.Since(t0); took > 2*time.Second {
		t.Fatalf("a hung sandbox's memory reading took %s: it must end at the operation timeout", took)
	}
	if err == nil || Classify(err) != ClassTimeout {
		t.Errorf("error %v (class %q): want a timeout", err, Classify(err))
	}
}
