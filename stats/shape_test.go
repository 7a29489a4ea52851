package stats

import (
	"math"
	"math/rand"
	"strings"
	"testing"
	"time"
)

func inMS(vals ...float64) []float64 {
	out := make([]float64, len(vals))
	for i, v := range vals {
		out[i] = v * float64(time.Millisecond)
	}
	return out
}

func lognormal(seed int64, n int, median, sigma float64) []float64 {
	rng := rand.New(rand.NewSource(seed))
	out := make([]float64, n)
	for i := range out {
		out[i] = median * math.Exp(sigma*rng.NormFloat64()) * float64(time.Millisecond)
	}
	return out
}

func TestShape(t *testing.T) {
	// docker/crun's first 40 starts of a default run on this project's
	// machine (2026-12-02), in their order.
	crun := inMS(16.7, 6.3, 18.8, 6.3, 17.0, 6.4, 17.9, 6.3, 6.4, 27.4, 7.5, 8.2, 6.8, 10.4, 5.8, 6.0, 11.5, 6.1, 12.1, 6.4,
		18.5, 6.6, 6.6, 13.4, 6.3, 16.9, 7.4, 19.1, 7.1, 17.5, 7.4, 6.4, 39.2, 7.1, 14.9, 6.4, 6.6, 6.5, 13.1, 5.9)
	mixture := append(lognormal(1, 60, 7, 0.05), lognormal(2, 40, 14, 0.08)...)
	rand.New(rand.NewSource(3)).Shuffle(len(mixture), func(i, j int) { mixture[i], mixture[j] = mixture[j], mixture[i] })
	uniform := make([]float64, 50)
	for i := range uniform {
		uniform[i] = (10 + float64(i)/5) * float64(time.Millisecond)
	}
	cases := []struct {
		name   string
		values []float64
		want   string
	}{
		{"one lognormal cluster", lognormal(4, 100, 10, 0.3), ""},
		{"a narrow cluster with a tail", append(lognormal(5, 90, 10, 0.05), lognormal(6, 10, 30, 0.3)...), ""},
		{"evenly spread", uniform, ""},
		{"two clusters shuffled", mixture, "bimodal"},
		{"crun's starts here, every other one slow", crun, "bimodal, alternating"},
		{"too few to tell", inMS(1, 10, 1, 10, 1, 10, 1, 10, 1, 10), ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, why := Shape(c.values)
			if got != c.want {
				t.Fatalf("Shape = %q (%s); want %q", got, why, c.want)
			}
			if (got == "") != (why == "") {
				t.Fatalf("shape %q with reason %q", got, why)
			}
			if strings.Contains(got, "bimodal") && !strings.Contains(why, "% near ") {
				t.Errorf("a bimodal shape without its modes: %s", why)
			}
		})
	}
}
