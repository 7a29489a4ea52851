package docker

import (
	"testing"

	"github.com/agentic-eval/agentic-eval/internal/drivertest"
	"github.com/agentic-eval/agentic-eval/measure"
)

func TestConformance(t *testing.T) {
	drivertest.Conformance(t, func() measure.Driver { return New() }, drivertest.ProbeFromImage)
}
