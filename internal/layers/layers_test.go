package layers

import (
	"go/build"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

const module = "github.com/agentic-eval/agentic-eval/"

// rules say, per package (a path, or a path ending in "/" for every package
// under it), which of the module's packages it must not import, by the
// same notation. Tests are not checked: a test may reach anything it
// exercises.
var rules = []struct {
	pkg       string
	forbidden []string
	why       string
}{
	// The pure core and the contracts at the bottom.
	{"vms", []string{""}, "the catalog is the pure core: it imports nothing of the module"},
	{"units", []string{""}, "formatting imports nothing of the module"},
	{"stats", []string{"results", "measure", "driver", "drivers/", "app", "cli", "mcpserver", "report"}, "statistics know no document, harness or runtime"},
	{"driver", []string{"results", "measure", "reap", "drivers/", "app", "stats", "cli", "mcpserver", "report"}, "the driver contract depends on nothing above it"},
	// Drivers import the contract and their runtimes' clients only.
	{"drivers/", []string{"measure", "reap", "results", "stats", "evaluate", "rubric", "compare", "app", "fleet", "cli", "mcpserver", "report", "probebin"}, "a driver imports the contract, not the harness or anything above"},
	// The results format is read by everyone above it and reads nothing of theirs.
	{"results", []string{"measure", "reap", "drivers/", "app", "fleet", "evaluate", "rubric", "compare", "cli", "mcpserver", "report"}, "the results format is below every reader and the harness"},
	{"reap", []string{"measure", "results", "drivers/", "app", "cli", "mcpserver", "report"}, "the run records reach runtimes only through the contract"},
	{"measure", []string{"drivers/", "app", "fleet", "evaluate", "rubric", "compare", "cli", "mcpserver", "report"}, "the harness runs any driver it is given, and knows no face"},
	{"evaluate", []string{"measure", "reap", "drivers/", "app", "cli", "mcpserver", "report"}, "evaluation reads results documents, not the harness"},
	{"rubric", []string{"measure", "reap", "drivers/", "app", "cli", "mcpserver", "report"}, "the rubric reads results documents, not the harness"},
	{"compare", []string{"measure", "reap", "drivers/", "app", "cli", "mcpserver", "report"}, "comparisons read results documents, not the harness"},
	{"app", []string{"cli", "mcpserver", "report"}, "the application layer knows no face"},
	// The faces convert input and render: they reach the host only through app.
	{"cli", []string{"driver", "drivers/", "measure", "reap", "probebin", "fleet", "memstat", "oci", "residue", "internal/drivertest"}, "a face goes through the application layer"},
	{"mcpserver", []string{"driver", "drivers/", "measure", "reap", "probebin", "fleet", "memstat", "oci", "residue", "internal/drivertest", "cli"}, "a face goes through the application layer"},
	{"report", []string{"driver", "drivers/", "measure", "reap", "probebin", "fleet", "app", "cli", "mcpserver"}, "the report renders what it is given"},
}

func matches(pattern, pkg string) bool {
	switch {
	case pattern == "":
		return true
	case strings.HasSuffix(pattern, "/"):
		return strings.HasPrefix(pkg, pattern)
	}
	return pkg == pattern
}

func TestImportsPointDown(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	pkgs := map[string][]string{} // package -> the module's packages it imports
	err = filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			return nil
		}
		name := d.Name()
		if path != root && (strings.HasPrefix(name, ".") || name == "testdata") {
			return filepath.SkipDir
		}
		bp, err := build.ImportDir(path, 0)
		if err != nil {
			return nil // no Go files, or only tests
		}
		rel, _ := filepath.Rel(root, path)
		for _, imp := range bp.Imports {
			if strings.HasPrefix(imp, module) {
				pkgs[rel] = append(pkgs[rel], strings.TrimPrefix(imp, module))
			}
		}
		if _, ok := pkgs[rel]; !ok {
			pkgs[rel] = nil
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"vms", "driver", "results", "measure", "app", "cli", "mcpserver"} {
		if _, ok := pkgs[p]; !ok {
			t.Fatalf("package %s not found under %s: the walk is broken", p, root)
		}
	}
	names := make([]string, 0, len(pkgs))
	for p := range pkgs {
		names = append(names, p)
	}
	sort.Strings(names)
	for _, p := range names {
		for _, r := range rules {
			if !matches(r.pkg, p+"/") && !matches(r.pkg, p) {
				continue
			}
			for _, imp := range pkgs[p] {
				for _, f := range r.forbidden {
					if matches(f, imp) || matches(f, imp+"/") {
						t.Errorf("%s imports %s: %s", p, imp, r.why)
					}
				}
			}
		}
	}
}
