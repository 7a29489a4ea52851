package oci

import (
	"context"
	"errors"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestMessageOfEachRuntimesRecordedError(t *testing.T) {
	for _, c := range []struct {
		file, want string
		notExist   bool
	}{
		{"error-does-not-exist.jsonl", "container does not exist", true},
		{"error-run-invalid-id.jsonl", "runc run failed: invalid container ID format", false},
		{"runsc-kill-missing.txt", "FetchSpec failed: loading container: file does not exist", true},
		{"crun-state-missing.txt", "error opening file `/run/agentic-eval/crun/nosuch/status`: No such file or directory", true},
	} {
		t.Run(c.file, func(t *testing.T) {
			msg := Message(readTestdata(t, c.file))
			if msg != c.want {
				t.Errorf("Message = %q, want %q", msg, c.want)
			}
			err := &Error{Runtime: "r", Command: "state", Message: msg, Err: errors.New("exit status 1")}
			if IsNotExist(err) != c.notExist {
				t.Errorf("IsNotExist = %v, want %v", !c.notExist, c.notExist)
			}
		})
	}
}

func TestMessageKeepsTheLastLinesOfLongTextBounded(t *testing.T) {
	text := strings.Repeat("noise line\n", 50) + "first\nsecond\nthe cause\n"
	if got := Message([]byte(text)); got != "first; second; the cause" {
		t.Errorf("Message = %q", got)
	}
	if got := Message([]byte(strings.Repeat("x", 5000))); len(got) > 700 {
		t.Errorf("Message of 5000 bytes is %d bytes long", len(got))
	}
	if got := Message(nil); got != "" {
		t.Errorf("Message(nil) = %q", got)
	}
}

func TestErrorSaysTheRuntimeTheCommandAndItsMessage(t *testing.T) {
	e := &Error{Runtime: "crun", Command: "checkpoint", Message: "unknown command checkpoint", Err: errors.New("exit status 1")}
	if got := e.Error(); got != "crun checkpoint: unknown command checkpoint (exit status 1)" {
		t.Errorf("Error() = %q", got)
	}
	e = &Error{Runtime: "runsc", Command: "state", Err: context.DeadlineExceeded, TimedOut: true}
	if got := e.Error(); got != "runsc state: context deadline exceeded (timed out)" || !errors.Is(e, context.DeadlineExceeded) {
		t.Errorf("Error() = %q", got)
	}
	if IsNotExist(errors.New("container does not exist")) {
		t.Error("a plain error taken for a runtime's not-exist")
	}
}

func TestCommandLinePutsTheWrapperFirstAndTheRootBeforeFlags(t *testing.T) {
	r := &Runtime{Name: "crun", Binary: "/usr/bin/crun", Root: "/run/x", Flags: []string{"--debug"}, Wrapper: []string{"unshare", "--mount", "sh", "-c", "exec \"$0\" \"$@\""}}
	want := []string{"unshare", "--mount", "sh", "-c", "exec \"$0\" \"$@\"", "/usr/bin/crun", "--root", "/run/x", "--debug", "state", "id1"}
	if got := r.argv([]string{"state", "id1"}); !slices.Equal(got, want) {
		t.Errorf("argv = %q\nwant   %q", got, want)
	}
	if got := RestoreArgs("id2", "/b", CheckpointOpts{ImagePath: "/img", WorkPath: "/w"}); !slices.Equal(got, []string{"restore", "--detach", "--image-path=/img", "--work-path=/w", "--bundle", "/b", "id2"}) {
		t.Errorf("RestoreArgs = %q", got)
	}
	if got := RestoreArgs("id2", "/b", CheckpointOpts{ImagePath: "/img"}); slices.Contains(got, "--work-path=") {
		t.Errorf("a checkpoint without CRIU names a work path: %q", got)
	}
}

// TestRunEndsACommandThatHangs runs a stand-in binary that never
// exits (sh running sleep) under a short deadline:
// Run ends it and says it timed out.
func TestRunEndsACommandThatHangs(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	r := &Runtime{Name: "stand-in", Binary: sh, Wrapper: nil}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_, err = r.Run(ctx, "-c", "exec sleep 30")
	var e *Error
	if !errors.As(err, &e) || !e.TimedOut {
		t.Fatalf("Run of a hanging command: %v, want a timed-out *Error", err)
	}
}
