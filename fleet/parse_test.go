package fleet

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/agentic-eval/agentic-eval/results"
)

// The logs in testdata are a real node's: the harness's own lines around
// its document, cut or doubled to make each case.
func TestParseLogFindsTheOneDocumentBetweenTheMarkers(t *testing.T) {
	const run = "0a1b2c3d"
	cases := []struct {
		file string
		want error // nil: a document with docker/runc's start latency
	}{
		{"good.log", nil},
		{"noise-after.log", nil},
		{"no-markers.log", ErrNoDocument},
		{"end-only.log", ErrNoDocument},
		{"other-run.log", ErrNoDocument},
		{"truncated.log", ErrTruncated},
		{"cut-json.log", results.ErrNotJSON},
		{"two-docs.log", ErrTwoDocs},
		{"not-results.log", results.ErrNotResults},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join("testdata", c.file))
			if err != nil {
				t.Fatal(err)
			}
			res, err := ParseLog(b, run)
			if c.want != nil {
				if !errors.Is(err, c.want) {
					t.Fatalf("ParseLog(%s) = %v; want %v", c.file, err, c.want)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseLog(%s): %v", c.file, err)
			}
			v := res.Variant("docker/runc")
			if v == nil || v.StartLatency == nil || len(v.StartLatency.SamplesNS) == 0 {
				t.Fatalf("ParseLog(%s): no docker/runc start-latency samples in %+v", c.file, res.Systems)
			}
		})
	}
}

func TestParseLogErrorsDoNotEchoTheLog(t *testing.T) {
	log := []byte("----- agentic-eval fleet results r begin -----\n{\"schema\": \"secret-value-123\"}\n----- agentic-eval fleet results r end -----\n")
	_, err := ParseLog(log, "r")
	if err == nil {
		t.Fatal("a document of a foreign schema was accepted")
	}
	if got := err.Error(); strings.Contains(got, "secret-value-123") {
		t.Fatalf("the error %q echoes the document", got)
	}
}
