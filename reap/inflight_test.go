package reap

import (
	"testing"
	"time"
)

func TestSightingsCountOnlyRequestsHeldForLessThanTheStall(t *testing.T) {
	dir := t.TempDir()
	t0 := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	const stall = 10 * time.Second
	s := loadSightings(dir)
	steps := []struct {
		at   time.Duration
		ids  []string
		want int
	}{
		{0, []string{"1", "2"}, 2}, // both new
		{5 * time.Second, []string{"1", "2", "3"}, 3},
		{11 * time.Second, []string{"2", "3"}, 1}, // 2 held past the stall; 1 ended
		{16 * time.Second, []string{"3"}, 0},      // 3 past the stall too
		{17 * time.Second, []string{"1"}, 1},      // 1 again: a new request
	}
	for _, st := range steps {
		if got := s.observe("dockerd", st.ids, t0.Add(st.at), stall); got != st.want {
			t.Errorf("at %s with %v: %d in flight, want %d", st.at, st.ids, got, st.want)
		}
	}
}

func TestSightingsAreKeptForTheNextReap(t *testing.T) {
	dir := t.TempDir()
	t0 := time.Now()
	s := loadSightings(dir)
	s.observe("dockerd", []string{"7"}, t0.Add(-time.Minute), 10*time.Second)
	s.observe("containerd", []string{"7"}, t0, 10*time.Second)
	s.save()
	next := loadSightings(dir)
	if got := next.observe("dockerd", []string{"7"}, t0, 10*time.Second); got != 0 {
		t.Errorf("a leak first seen a minute ago counts again in the next reap: %d", got)
	}
	if got := next.observe("containerd", []string{"7"}, t0, 10*time.Second); got != 1 {
		t.Errorf("another daemon's request of the same id: %d, want 1", got)
	}
}

func TestSightingsOfAMalformedFileStartAfresh(t *testing.T) {
	dir := t.TempDir()
	writeRaw(t, dir, sightingsFile, "{not json")
	if got := loadSightings(dir).observe("dockerd", []string{"1"}, time.Now(), time.Second); got != 1 {
		t.Errorf("in flight %d, want 1: a malformed file must not hide a request", got)
	}
}
