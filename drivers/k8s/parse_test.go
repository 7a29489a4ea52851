package k8s

import (
	"testing"
	"time"
)

// The API's timestamps=true log lines, as recorded from this cluster's
// kubelet (containerd's CRI log format, RFC 3339 with nanoseconds).
func TestSplitTimestamp(t *testing.T) {
	cases := []struct {
		name, raw, line string
		at              time.Time
	}{
		{"recorded", "2026-12-02T05:56:55.418890123Z AEPROBE ready pid=1\n", "AEPROBE ready pid=1\n", time.Date(2026, 12, 2, 5, 56, 55, 418890123, time.UTC)},
		{"no timestamp", "AEPROBE ready pid=1\n", "AEPROBE ready pid=1\n", time.Time{}},
		{"empty", "", "", time.Time{}},
		{"leading space", " AEPROBE\n", " AEPROBE\n", time.Time{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			line, at := splitTimestamp([]byte(c.raw))
			if string(line) != c.line || !at.Equal(c.at) {
				t.Errorf("splitTimestamp(%q) = %q, %v; want %q, %v", c.raw, line, at, c.line, c.at)
			}
		})
	}
}
