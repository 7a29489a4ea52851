package workload

import (
	"strconv"
	"strings"
	"testing"

	"github.com/agentic-eval/agentic-eval/probe"
)

func TestChecksAreComputedNotRecorded(t *testing.T) {
	// What python3 3.11 and the image's numpy 1.24.2 printed for the two
	// scripts, once: the Go computations must agree with them.
	if got := CPUResult(); got != 62255155 {
		t.Errorf("CPUResult = %d, python3 printed 62255155", got)
	}
	if got := NumpyChecksum(); got != 599573561 {
		t.Errorf("NumpyChecksum = %d, numpy printed 599573561", got)
	}
}

func TestAResultVerifiesOnlyWhenItIsExactlyRight(t *testing.T) {
	hello, _ := Lookup(PythonHello)
	cpu, _ := Lookup(CPU)
	for _, c := range []struct {
		name string
		w    Workload
		r    probe.RunResult
		ok   bool
	}{
		{"hello", hello, probe.RunResult{Stdout: []byte(helloText + "\n")}, true},
		{"wrong output", hello, probe.RunResult{Stdout: []byte("hello\n")}, false},
		{"exit 1", hello, probe.RunResult{Exit: 1, Stdout: []byte(helloText + "\n"), Stderr: []byte("Traceback")}, false},
		{"timed out", hello, probe.RunResult{Exit: -1, TimedOut: true}, false},
		{"killed", hello, probe.RunResult{Exit: -1, Signal: "killed"}, false},
		{"not started", hello, probe.RunResult{Exit: -1, Error: "fork/exec python3: no such file"}, false},
		{"cpu", cpu, probe.RunResult{Stdout: []byte(strconv.FormatInt(CPUResult(), 10) + "\n")}, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := c.w.Check(c.r)
			if (err == nil) != c.ok {
				t.Errorf("Check = %v, want ok %v", err, c.ok)
			}
		})
	}
}

func TestParseNamesEachWorkloadOnce(t *testing.T) {
	ws, err := Parse("ready, python-hello,cpu")
	if err != nil || len(ws) != 3 || ws[1].Name != PythonHello {
		t.Fatalf("Parse = %v, %v", ws, err)
	}
	for _, bad := range []string{"", "python-hello,python-hello", "perl"} {
		if _, err := Parse(bad); err == nil {
			t.Errorf("Parse(%q) accepted", bad)
		} else if bad == "perl" && !strings.Contains(err.Error(), "valid workloads are ready, python-hello") {
			t.Errorf("Parse(%q): %v", bad, err)
		}
	}
	if _, err := Command(nil, 0); err == nil {
		t.Error("an empty --workload-cmd accepted")
	}
	w, err := Command([]string{"sh", "-c", "true"}, 1000)
	if err != nil || w.Check(probe.RunResult{}) != nil || w.Check(probe.RunResult{Exit: 2}) == nil {
		t.Errorf("a custom command verifies by its exit status: %v", err)
	}
}

func TestPrimedAnswersVerifyExactly(t *testing.T) {
	var p Primed
	const v = 4611686018427387903 // 2^62-1: exact, not a float
	for _, c := range []struct {
		line string
		ok   bool
	}{
		{`{"ok": true, "out": [4611686018427387903, true]}`, true},
		{`{"ok": true, "out": [4611686018427387902, true]}`, false},
		{`{"ok": true, "out": [4611686018427387903, false]}`, false},
		{`{"ok": false, "error": "NameError('value')"}`, false},
		{`Traceback`, false},
	} {
		if err := p.CheckRestored(c.line, v); (err == nil) != c.ok {
			t.Errorf("CheckRestored(%s) = %v, want ok %v", c.line, err, c.ok)
		}
	}
	if err := p.CheckPrimed(`{"ok": true, "out": 4611686018427387903}`, v); err != nil {
		t.Error(err)
	}
	if got := p.Line("a\nb"); strings.Contains(got, "\n") {
		t.Errorf("Line keeps a newline: %q", got)
	}
}
