package results

import (
	"strings"
	"testing"
	"time"
)

func TestDefaultSettingsAreTheIssuesDefaults(t *testing.T) {
	s := DefaultSettings()
	// Start latency: from 6 samples to the ceiling 3 s buy (at most 1000),
	// stopping at ±10%; the burst ladder up to 64; a fill of at most 16 in
	// 6 s, 4 at a time; 200 churn cycles or 3 s; 30 s per operation; the
	// 20% guard.
	if s.MinSamples != 6 || s.Samples != 1000 || s.Precision != 0.10 || s.PhaseBudget != 3*time.Second ||
		s.Warmups != 0 || s.Burst != 64 || s.Density != 16 || s.DensityTime != 6*time.Second || s.FillConcurrency != 4 || s.Capacity ||
		s.Churn != 200 || s.ChurnTime != 3*time.Second || s.OpTimeout != 30*time.Second || s.MinAvailable != 0.20 {
		t.Errorf("defaults %+v", s)
	}
	if err := s.Validate(); err != nil {
		t.Errorf("defaults invalid: %v", err)
	}
}

func TestValidateNamesTheBadSettingAndTheValidRange(t *testing.T) {
	for _, c := range []struct {
		mut  func(*Settings)
		want string
	}{
		{func(s *Settings) { s.Samples = 0 }, "samples 0 out of range: want 1 to 10000"},
		{func(s *Settings) { s.Burst = -1 }, "burst -1 out of range"},
		{func(s *Settings) { s.Density = 20000 }, "density 20000 out of range"},
		{func(s *Settings) { s.OpTimeout = time.Millisecond }, "operation timeout 1ms out of range"},
		{func(s *Settings) { s.MinAvailable = 1 }, "memory floor 1 out of range"},
		{func(s *Settings) { s.Churn = MaxChurn + 1 }, "churn 100001 out of range: want 0 (skip) to 100000 cycles"},
		{func(s *Settings) { s.ChurnTime = 0 }, "churn time 0s out of range: want 100ms to 24h"},
		{func(s *Settings) { s.DensityTime = time.Millisecond }, "density time 1ms out of range: want 1s to 24h"},
		{func(s *Settings) { s.FillConcurrency = 0 }, "fill concurrency 0 out of range: want 1 to 64"},
	} {
		s := DefaultSettings()
		c.mut(&s)
		err := s.Validate()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("got %v, want %q", err, c.want)
		}
	}
}

func TestParsePhases(t *testing.T) {
	ph, err := ParsePhases("start-latency, Snapshot")
	if err != nil || len(ph) != 2 || ph[0] != PhaseStartLatency || ph[1] != PhaseSnapshot {
		t.Fatalf("got %v, %v", ph, err)
	}
	if _, err := ParsePhases("latency"); err == nil || !strings.Contains(err.Error(), "valid phases are start-latency, burst, arrivals, density, churn, isolation, snapshot, workload") {
		t.Errorf("unknown phase error: %v", err)
	}
}

func TestSettingsSamplingValidation(t *testing.T) {
	cases := []struct {
		name string
		edit func(*Settings)
		want string
	}{
		{"floor above ceiling", func(s *Settings) { s.MinSamples = s.Samples + 1 }, "minimum samples"},
		{"zero floor", func(s *Settings) { s.MinSamples = 0 }, "minimum samples"},
		{"precision of 1", func(s *Settings) { s.Precision = 1 }, "precision"},
		{"negative budget", func(s *Settings) { s.PhaseBudget = -time.Second }, "phase budget"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := DefaultSettings()
			c.edit(&s)
			err := s.Validate()
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Validate() = %v; want an error about %s", err, c.want)
			}
		})
	}
	if err := DefaultSettings().Validate(); err != nil {
		t.Fatalf("the defaults do not validate: %v", err)
	}
}
