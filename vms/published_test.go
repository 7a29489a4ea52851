package vms

import (
	"strings"
	"testing"
)

func TestEveryPublishedFigureCitesItsSourceAndCaveat(t *testing.T) {
	if len(published) == 0 {
		t.Fatal("no published figures")
	}
	for _, p := range published {
		name := p.System.Name() + " " + p.Axis.Name()
		switch {
		case p.Source.Project == "" || p.Source.Document == "" || !strings.HasPrefix(p.Source.URL, "https://") || p.Source.Version == "":
			t.Errorf("%s: incomplete source %+v", name, p.Source)
		case p.Metric == "" || p.Conditions == "" || p.Caveat == "":
			t.Errorf("%s: a figure needs its metric, conditions and caveat", name)
		case p.Value <= 0:
			t.Errorf("%s: value %v", name, p.Value)
		case p.Axis == StartLatency && p.Unit != "ms", p.Axis == Density && p.Unit != "MiB":
			t.Errorf("%s: unit %q does not fit the axis", name, p.Unit)
		case p.Bound != "" && p.Bound != "<=":
			t.Errorf("%s: bound %q", name, p.Bound)
		}
	}
}

func TestASystemWithoutPublishedFiguresSaysWhy(t *testing.T) {
	for _, s := range All() {
		none := PublishedNone(s)
		if (len(PublishedFor(s)) == 0) == (none == "") {
			t.Errorf("%s: %d figures, and PublishedNone %q", s.Name(), len(PublishedFor(s)), none)
		}
	}
	if !strings.Contains(PublishedNone(AetherVM), "authors' judgment alone") {
		t.Errorf("aethervm: %q", PublishedNone(AetherVM))
	}
}
