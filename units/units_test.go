package units

import (
	"testing"
	"time"
)

func TestEveryFigureHasOneForm(t *testing.T) {
	for _, c := range []struct {
		got, want string
	}{
		{Millis(0.4213), "0.42 ms"},
		{Millis(7.54), "7.54 ms"},
		{Millis(75.4), "75.4 ms"},
		{Millis(312.4), "312 ms"},
		{Millis(1254), "1.25 s"},
		{Millis(12340), "12.3 s"},
		{SignedMillis(-3.1), "-3.10 ms"},
		{SignedMillis(1200), "+1.20 s"},
		{Duration(12340 * time.Millisecond), "12.3 s"},
		{Nanos(2_500_000), "2.50 ms"},
		{MiB(0.5), "0.50 MiB"},
		{MiB(150.67), "151 MiB"},
		{MiB(2048), "2.00 GiB"},
		{Bytes(512), "512 B"},
		{Bytes(4096), "4.0 KiB"},
		{Bytes(64 << 20), "64.0 MiB"},
		{PerSecond(4), "4 /s"},
		{PerSecond(12.5), "12.5 /s"},
		{PerSecond(0.25), "0.25 /s"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}
