// Package units formats the figures every face shows: times, sizes and
// rates, one way each, so that a figure reads the same in the command
// line's tables, the report and an agent's answer.
//
// Its opinion: a figure carries as many digits as it can be trusted with
// and no more, and the precision follows the magnitude (12,340 ms is
// "12.3 s" everywhere, never "12.34 s" in one place and "12.3 s" in
// another). It does no I/O.
package units

import (
	"fmt"
	"math"
	"time"
)

// Millis formats a time given in milliseconds: "0.42 ms", "7.5 ms",
// "312 ms", "1.25 s", "12.3 s".
func Millis(ms float64) string {
	a := math.Abs(ms)
	switch {
	case a >= 10000:
		return fmt.Sprintf("%.1f s", ms/1000)
	case a >= 1000:
		return fmt.Sprintf("%.2f s", ms/1000)
	case a >= 100:
		return fmt.Sprintf("%.0f ms", ms)
	case a >= 10:
		return fmt.Sprintf("%.1f ms", ms)
	default:
		return fmt.Sprintf("%.2f ms", ms)
	}
}

// SignedMillis is Millis with its sign always shown: "+3.1 ms", "-1.20 s".
func SignedMillis(ms float64) string {
	if ms < 0 {
		return "-" + Millis(-ms)
	}
	return "+" + Millis(ms)
}

// Duration formats d as Millis does.
func Duration(d time.Duration) string { return Millis(float64(d) / float64(time.Millisecond)) }

// Nanos formats a time given in nanoseconds (as results documents record
// them) as Millis does.
func Nanos(ns int64) string { return Duration(time.Duration(ns)) }

// MiB formats a size given in MiB: "0.42 MiB", "7.5 MiB", "151 MiB",
// "1.25 GiB".
func MiB(v float64) string {
	a := math.Abs(v)
	switch {
	case a >= 10240:
		return fmt.Sprintf("%.1f GiB", v/1024)
	case a >= 1024:
		return fmt.Sprintf("%.2f GiB", v/1024)
	case a >= 100:
		return fmt.Sprintf("%.0f MiB", v)
	case a >= 10:
		return fmt.Sprintf("%.1f MiB", v)
	default:
		return fmt.Sprintf("%.2f MiB", v)
	}
}

// Bytes formats a size in bytes: "512 B", "4.0 KiB", then as MiB.
func Bytes(n int64) string {
	switch {
	case n < 1024:
		return fmt.Sprintf("%d B", n)
	case n < 1<<20:
		return fmt.Sprintf("%.1f KiB", float64(n)/1024)
	}
	return MiB(float64(n) / (1 << 20))
}

// PerSecond formats a rate: "4 /s", "12.5 /s", "0.25 /s".
func PerSecond(v float64) string {
	switch {
	case v >= 100 || v == math.Trunc(v):
		return fmt.Sprintf("%.0f /s", v)
	case v >= 10:
		return fmt.Sprintf("%.1f /s", v)
	default:
		return fmt.Sprintf("%.2f /s", v)
	}
}
