package qemu

import (
	"testing"

	"github.com/agentic-eval/agentic-eval/driver"
	"github.com/agentic-eval/agentic-eval/internal/drivertest"
)

// TestConformance runs the suite on the sandbox image: exec goes through
// the guest agent the image holds (the ready baseline's probe-only
// initramfs is covered by qemu_test.go).
func TestConformance(t *testing.T) {
	for _, tc := range []struct {
		name string
		new  func() *Driver
	}{{"tcg", NewTCG}, {"kvm", NewKVM}} {
		t.Run(tc.name, func(t *testing.T) {
			drivertest.Conformance(t, func() driver.Driver { return tc.new() }, drivertest.OnImage)
		})
	}
}
