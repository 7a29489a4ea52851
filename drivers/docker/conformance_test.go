package docker

import (
	"testing"

	"github.com/agentic-eval/agentic-eval/driver"
	"github.com/agentic-eval/agentic-eval/internal/drivertest"
)

func TestConformance(t *testing.T) {
	drivertest.Conformance(t, func() driver.Driver { return New() }, drivertest.ProbeFromImage)
}
