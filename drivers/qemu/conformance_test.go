package qemu

import (
	"testing"

	"github.com/agentic-eval/agentic-eval/internal/drivertest"
	"github.com/agentic-eval/agentic-eval/measure"
)

func TestConformance(t *testing.T) {
	for _, tc := range []struct {
		name string
		new  func() *Driver
	}{{"tcg", NewTCG}, {"kvm", NewKVM}} {
		t.Run(tc.name, func(t *testing.T) {
			drivertest.Conformance(t, func() measure.Driver { return tc.new() })
		})
	}
}
