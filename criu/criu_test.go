package criu

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// testdata/ holds CRIU 3.17.1's output on a 6.18 kernel, where every dump
// fails on the vDSO layout: `criu --version`, `criu check`, runc's dump.log
// of a failed `runc checkpoint` and containerd's criu-dump.log of a failed
// `docker checkpoint create`.

func readTestdata(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestVersion(t *testing.T) {
	if got := Version(readTestdata(t, "version.txt")); got != "3.17.1" {
		t.Fatalf("criu version = %q", got)
	}
	if got := Version(""); got != "unknown" {
		t.Errorf("empty output version = %q", got)
	}
}

func TestCheckErrorIsTheFirstErrorWithoutSourceLocation(t *testing.T) {
	got := CheckError(readTestdata(t, "check-vdso.txt"))
	if got != "vdso: Unexpected rt vDSO area bounds" {
		t.Fatalf("criu check error = %q", got)
	}
	if got := CheckError("Looks good.\n"); got != "" {
		t.Errorf("passing check gave error %q", got)
	}
}

func TestLogErrorIsTheFirstErrorOfARecordedRuncDumpLog(t *testing.T) {
	got := LogError(readTestdata(t, "runc-dump-vdso.log"))
	want := "(00.011090) Error (criu/vdso.c:381): vdso: Unexpected rt vDSO area bounds"
	if got != want {
		t.Fatalf("criu log error = %q, want %q", got, want)
	}
}

func TestLogErrorIsTheFirstErrorOfARecordedContainerdDumpLog(t *testing.T) {
	got := LogError(readTestdata(t, "containerd-dump-vdso.log"))
	want := "(00.012127) Error (criu/vdso.c:381): vdso: Unexpected rt vDSO area bounds"
	if got != want {
		t.Fatalf("criu log error = %q, want %q", got, want)
	}
}

func TestLogErrorOfCheckOutputAndOfLogsWithoutError(t *testing.T) {
	// Without timestamps (criu check's output), the first error is whole.
	if got := LogError(readTestdata(t, "check-vdso.txt")); got != "Error (criu/vdso.c:381): vdso: Unexpected rt vDSO area bounds" {
		t.Errorf("criu check output: %q", got)
	}
	if got := LogError("Error (criu/vdso.c:381): vdso: X\nError (criu/crtools.c:260): Y\n"); got != "Error (criu/vdso.c:381): vdso: X" {
		t.Errorf("two errors: %q", got)
	}
	for _, log := range []string{
		"(00.000106) Version: 3.17.1 (gitid 0)\n(00.000120) Warn (criu/kerndat.c:1): x\n",
		"(00.000106) Version: 3.17.1\nLooks good.\n",
	} {
		if got := LogError(log); got != "" {
			t.Errorf("log without an error %q: %q", log, got)
		}
	}
}

func TestKnownCauseNamesTheVDSOLayoutOnly(t *testing.T) {
	if KnownCause(CheckError(readTestdata(t, "check-vdso.txt"))) == "" {
		t.Error("the recorded vDSO failure has no known cause")
	}
	if got := KnownCause("Can't dump ghost file"); got != "" {
		t.Errorf("unrelated error explained as %q", got)
	}
}

func TestLookAtTheRealCRIU(t *testing.T) {
	if _, err := exec.LookPath("criu"); err != nil {
		t.Skip("criu is not on PATH (apt-get install criu)")
	}
	h := Look(context.Background())
	if h.Path == "" || h.Version == "" || h.Version == "unknown" {
		t.Fatalf("Look = %+v: want criu's path and version", h)
	}
}
