package stats

import (
	"fmt"
	"math"

	"github.com/aclements/go-moremath/stats"
)

// Slope is an ordinary least-squares line through points (x, y): the cost
// of one more unit of x, with its confidence interval from Student's t on
// the slope's standard error, and the residuals' spread so that a reader
// sees how well a line describes the points at all.
type Slope struct {
	N         int     `json:"n"` // points fitted
	Slope     float64 `json:"slope"`
	Intercept float64 `json:"intercept"`
	// Lo and Hi bound the slope at Confidence; equal to it when the
	// points lie exactly on a line.
	Lo         float64 `json:"ci_lo"`
	Hi         float64 `json:"ci_hi"`
	Confidence float64 `json:"ci_confidence"`
	// ResidualSD is the residuals' standard deviation (n-2 degrees of
	// freedom), in y's unit.
	ResidualSD float64 `json:"residual_sd"`
	// R2 is the share of y's variance the line explains (1 when y is
	// constant and the line is flat).
	R2 float64 `json:"r2"`
}

// HalfWidth is half the confidence interval's width.
func (s Slope) HalfWidth() float64 { return (s.Hi - s.Lo) / 2 }

// FitSlope fits y = intercept + slope·x by least squares. It needs at least
// three points (one degree of freedom for the interval) and two distinct
// x values.
func FitSlope(xs, ys []float64) (Slope, error) {
	n := len(xs)
	if n != len(ys) {
		return Slope{}, fmt.Errorf("fit: %d x values against %d y values", n, len(ys))
	}
	if n < 3 {
		return Slope{}, fmt.Errorf("fit: %d points, need at least 3", n)
	}
	var mx, my float64
	for i := range xs {
		mx += xs[i]
		my += ys[i]
	}
	mx /= float64(n)
	my /= float64(n)
	var sxx, sxy, syy float64
	for i := range xs {
		dx, dy := xs[i]-mx, ys[i]-my
		sxx += dx * dx
		sxy += dx * dy
		syy += dy * dy
	}
	if sxx == 0 {
		return Slope{}, fmt.Errorf("fit: every point has x = %v; a slope needs two distinct x values", xs[0])
	}
	b := sxy / sxx
	a := my - b*mx
	var ssr float64
	for i := range xs {
		r := ys[i] - (a + b*xs[i])
		ssr += r * r
	}
	df := float64(n - 2)
	sd := math.Sqrt(ssr / df)
	se := sd / math.Sqrt(sxx)
	t := stats.InvCDF(stats.TDist{V: df})(1 - (1-Confidence)/2)
	fit := Slope{N: n, Slope: b, Intercept: a, Lo: b - t*se, Hi: b + t*se, Confidence: Confidence, ResidualSD: sd, R2: 1}
	if syy > 0 {
		fit.R2 = 1 - ssr/syy
	}
	return fit, nil
}
