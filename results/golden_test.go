package results

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// TestDocumentsWrittenBeforeReadTheSame reads every recorded results
// document and fleet set in the repository and compares what it reads,
// encoded, with what the reader of release 6d3a537 (before the results
// format became a package of its own) read from the same files: the
// digests in testdata/read-golden.json were made by that reader. A
// document it refused is refused still.
func TestDocumentsWrittenBeforeReadTheSame(t *testing.T) {
	b, err := os.ReadFile("testdata/read-golden.json")
	if err != nil {
		t.Fatal(err)
	}
	var golden map[string]string
	if err := json.Unmarshal(b, &golden); err != nil {
		t.Fatal(err)
	}
	if len(golden) < 20 {
		t.Fatalf("%d documents in the golden file: the recorded runs are missing", len(golden))
	}
	for rel, want := range golden {
		t.Run(rel, func(t *testing.T) {
			runs, set, err := ReadRunsFile(filepath.Join("..", rel))
			got := "error"
			if err == nil {
				var v any = runs
				if set != nil {
					v = set
				}
				enc, err := json.Marshal(v)
				if err != nil {
					t.Fatal(err)
				}
				h := sha256.Sum256(enc)
				got = hex.EncodeToString(h[:])
			}
			if got != want {
				t.Errorf("reads as %s, the earlier reader as %s (err %v)", got, want, err)
			}
		})
	}
}
