// Package workload names what an agent runs in a sandbox, as data: each
// workload is a command line for the image's interpreter and a check of its
// output. Its opinion: a figure for a command whose output was not
// verified is no figure. A workload that does not verify is a failure,
// never a sample, and every check knows its exact expected output, computed
// here rather than recorded, so that nothing can drift.
//
// The package is pure: it builds requests and judges results; running them
// is the harness's job, through the probe.
package workload

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/agentic-eval/agentic-eval/probe"
)

// Version names the set of workloads; it changes whenever a command or a
// check does, so that figures of different versions are never compared.
const Version = "workload/1"

// WorkDir is the writable directory every sandbox of the image has.
const WorkDir = "/work"

// Workload is one named, versioned thing an agent runs.
type Workload struct {
	Name        string
	Description string
	// Argv is the command; nil for Ready, which runs nothing.
	Argv []string
	// NeedsImage says it needs the Python image, not the probe-only rootfs.
	NeedsImage bool
	// TimeoutMS bounds one run in the sandbox.
	TimeoutMS int
	check     func(probe.RunResult) error
}

// Request is the probe's run request for w.
func (w Workload) Request() probe.RunRequest {
	return probe.RunRequest{V: probe.AgentVersion, Argv: w.Argv, Dir: WorkDir, TimeoutMS: w.TimeoutMS}
}

// Check verifies a run's result: the command exited 0, did not time out,
// and printed what it must.
func (w Workload) Check(r probe.RunResult) error {
	switch {
	case r.Error != "":
		return fmt.Errorf("workload %s did not start: %s", w.Name, r.Error)
	case r.TimedOut:
		return fmt.Errorf("workload %s timed out after %d ms", w.Name, w.TimeoutMS)
	case r.Signal != "":
		return fmt.Errorf("workload %s was killed by %s", w.Name, r.Signal)
	case r.Exit != 0:
		return fmt.Errorf("workload %s exited with status %d: %s", w.Name, r.Exit, tail(r.Stderr))
	}
	if w.check != nil {
		return w.check(r)
	}
	return nil
}

// Names.
const (
	Ready       = "ready"
	PythonHello = "python-hello"
	PythonNumpy = "python-numpy"
	SmallFiles  = "small-files"
	CPU         = "cpu"
	Custom      = "custom"
)

const helloText = "agentic-eval hello 42"

// numpyScript multiplies a fixed 64x64 integer matrix by its transpose.
const numpyScript = `import numpy as np
a = np.arange(64 * 64, dtype=np.int64).reshape(64, 64) % 97
print(int(((a @ a.T) % 1000003).sum()))`

// smallFilesScript writes 1,000 files of 4 KiB, reads each back and
// compares it.
const smallFilesScript = `import os
d = "/work/small-files"
os.makedirs(d, exist_ok=True)
n = 0
for i in range(1000):
    b = bytes([i % 251]) * 4096
    p = os.path.join(d, "f%04d" % i)
    with open(p, "wb") as f:
        f.write(b)
    with open(p, "rb") as f:
        if f.read() != b:
            raise SystemExit("file %d read back differs" % i)
    n += len(b)
print("small-files ok", len(os.listdir(d)), n)`

const cpuLoops = 1_000_000

var cpuScript = `s = 0
for i in range(` + strconv.Itoa(cpuLoops) + `):
    s = (s * 31 + i) % 1000000007
print(s)`

// All lists the built-in workloads, Ready first.
func All() []Workload {
	return []Workload{
		{Name: Ready, Description: "the probe's ready line: the sandbox runs, nothing more"},
		{
			Name: PythonHello, Description: "python3 prints a known line: interpreter start",
			Argv: []string{"python3", "-c", "print(" + strconv.Quote(helloText) + ")"}, NeedsImage: true, TimeoutMS: 60_000,
			check: wantStdout(helloText),
		},
		{
			Name: PythonNumpy, Description: "import numpy, a fixed integer matrix product, its exact checksum",
			Argv: []string{"python3", "-c", numpyScript}, NeedsImage: true, TimeoutMS: 120_000,
			check: wantStdout(strconv.FormatInt(NumpyChecksum(), 10)),
		},
		{
			Name: SmallFiles, Description: "create, read back and verify 1,000 files of 4 KiB in the work dir",
			Argv: []string{"python3", "-c", smallFilesScript}, NeedsImage: true, TimeoutMS: 120_000,
			check: wantStdout("small-files ok 1000 4096000"),
		},
		{
			Name: CPU, Description: "a fixed pure-Python loop: interception and emulation costs",
			Argv: []string{"python3", "-c", cpuScript}, NeedsImage: true, TimeoutMS: 300_000,
			check: wantStdout(strconv.FormatInt(CPUResult(), 10)),
		},
	}
}

// Lookup finds a built-in workload by name.
func Lookup(name string) (Workload, error) {
	for _, w := range All() {
		if w.Name == name {
			return w, nil
		}
	}
	return Workload{}, fmt.Errorf("unknown workload %q: valid workloads are %s, or a command line with --workload-cmd", name, strings.Join(Names(), ", "))
}

// Names lists the built-in workloads' names.
func Names() []string {
	var out []string
	for _, w := range All() {
		out = append(out, w.Name)
	}
	return out
}

// Parse reads a comma-separated list of workload names, each once.
func Parse(list string) ([]Workload, error) {
	var out []Workload
	var seen []string
	for _, n := range strings.Split(list, ",") {
		n = strings.TrimSpace(n)
		if n == "" {
			continue
		}
		if slices.Contains(seen, n) {
			return nil, fmt.Errorf("workload %q named twice", n)
		}
		w, err := Lookup(n)
		if err != nil {
			return nil, err
		}
		seen = append(seen, n)
		out = append(out, w)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no workload named: valid workloads are %s", strings.Join(Names(), ", "))
	}
	return out, nil
}

// Command is the user's own command line against the image, verified by
// its exit status alone.
func Command(argv []string, timeoutMS int) (Workload, error) {
	r := probe.RunRequest{V: probe.AgentVersion, Argv: argv, TimeoutMS: timeoutMS}
	if err := r.Validate(); err != nil {
		return Workload{}, fmt.Errorf("--workload-cmd: %w", err)
	}
	return Workload{Name: Custom, Description: "the user's command: " + strings.Join(argv, " "), Argv: argv, NeedsImage: true, TimeoutMS: timeoutMS}, nil
}

// NumpyChecksum is what numpyScript prints: the sum of (A·Aᵀ) mod
// 1000003 over a 64x64 matrix A with A[i][j] = (64i+j) mod 97.
func NumpyChecksum() int64 {
	const n = 64
	var a [n][n]int64
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			a[i][j] = int64(i*n+j) % 97
		}
	}
	var sum int64
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			var c int64
			for k := 0; k < n; k++ {
				c += a[i][k] * a[j][k]
			}
			sum += c % 1000003
		}
	}
	return sum
}

// CPUResult is what cpuScript prints.
func CPUResult() int64 {
	var s int64
	for i := int64(0); i < cpuLoops; i++ {
		s = (s*31 + i) % 1000000007
	}
	return s
}

func wantStdout(want string) func(probe.RunResult) error {
	return func(r probe.RunResult) error {
		if got := strings.TrimRight(string(r.Stdout), "\n"); got != want {
			return fmt.Errorf("output %q does not verify: want %q", tail([]byte(got)), want)
		}
		return nil
	}
}

func tail(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 200 {
		s = "..." + s[len(s)-200:]
	}
	return s
}

// Primed is the primed interpreter an agent forks: python3 running a small
// read-eval loop that keeps its globals between lines, with numpy imported
// and a value assigned. A snapshot of its sandbox carries it, warm, into
// every restore.
type Primed struct{}

// primedServer reads one JSON string of code a line, runs it in one
// persistent namespace and answers one JSON line: {"ok", "out"} with the
// code's _out, or {"ok": false, "error"}.
const primedServer = `import json, sys
g = {}
for line in sys.stdin:
    try:
        exec(compile(json.loads(line), "<agent>", "exec"), g)
        print(json.dumps({"ok": True, "out": g.pop("_out", None)}), flush=True)
    except Exception as e:
        print(json.dumps({"ok": False, "error": repr(e)}), flush=True)`

// Argv starts the interpreter.
func (Primed) Argv() []string { return []string{"python3", "-u", "-c", primedServer} }

// Prime is the code that imports numpy and assigns value.
func (Primed) Prime(value int64) string {
	return "import numpy, sys\nvalue = " + strconv.FormatInt(value, 10) + "\n_out = value"
}

// Probe is the code a restored interpreter runs: it returns the value and
// whether numpy is still imported, without importing anything.
func (Primed) Probe() string { return `_out = [value, "numpy" in sys.modules]` }

// Line encodes code as the one line the server reads.
func (Primed) Line(code string) string {
	b, _ := json.Marshal(code) // a string always marshals
	return string(b)
}

// CheckPrimed verifies the server's answer to Prime.
func (Primed) CheckPrimed(line string, value int64) error {
	return checkAnswer(line, strconv.FormatInt(value, 10))
}

// CheckRestored verifies the answer to Probe: the same value, numpy still
// loaded.
func (Primed) CheckRestored(line string, value int64) error {
	return checkAnswer(line, "["+strconv.FormatInt(value, 10)+", true]")
}

func checkAnswer(line, wantOut string) error {
	var a struct {
		OK    bool            `json:"ok"`
		Out   json.RawMessage `json:"out"`
		Error string          `json:"error"`
	}
	if err := json.Unmarshal([]byte(line), &a); err != nil {
		return fmt.Errorf("primed interpreter answered %q: not its JSON", tail([]byte(line)))
	}
	if !a.OK {
		return fmt.Errorf("primed interpreter failed: %s", a.Error)
	}
	// Compared as compact JSON text: exact for integers of any size.
	var got, want bytes.Buffer
	if json.Compact(&got, a.Out) != nil || json.Compact(&want, []byte(wantOut)) != nil || got.String() != want.String() {
		return fmt.Errorf("primed interpreter returned %s, want %s: its state did not carry over", tail(a.Out), wantOut)
	}
	return nil
}
