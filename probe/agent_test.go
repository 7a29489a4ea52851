package probe

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestAgentAnswersParseFromARecordedSession reads a session recorded from
// the real probe (testdata/agent-session.txt: a failing command, a put, a
// get, a timeout, a wrong version, a missing binary) through Parse and
// DecodeAnswer.
func TestAgentAnswersParseFromARecordedSession(t *testing.T) {
	f, err := os.Open(filepath.Join("testdata", "agent-session.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var msgs []Msg
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if m, ok := Parse(sc.Text()); ok && m.Verb != VerbReady {
			msgs = append(msgs, m)
		}
	}
	if len(msgs) != 7 {
		t.Fatalf("%d messages, want 7", len(msgs))
	}
	var run RunResult
	if err := DecodeAnswer(msgs[0], VerbResult, &run); err != nil {
		t.Fatal(err)
	}
	if run.Exit != 3 || string(run.Stdout) != "hi\n" || string(run.Stderr) != "err\n" || run.DurationNS <= 0 {
		t.Errorf("run = %+v", run)
	}
	var put PutResult
	if err := DecodeAnswer(msgs[1], VerbPutOK, &put); err != nil || put.Bytes != 5 || put.SHA256 != "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824" {
		t.Errorf("put = %+v, %v", put, err)
	}
	var get GetResult
	if err := DecodeAnswer(msgs[2], VerbContent, &get); err != nil || string(get.Data) != "hello" || !get.EOF || get.SHA256 != put.SHA256 {
		t.Errorf("get = %+v, %v", get, err)
	}
	var slow RunResult
	if err := DecodeAnswer(msgs[3], VerbResult, &slow); err != nil || !slow.TimedOut || slow.Exit != -1 || slow.Signal != "killed" {
		t.Errorf("timed-out run = %+v, %v", slow, err)
	}
	if err := DecodeAnswer(msgs[4], VerbResult, &run); err == nil || !strings.Contains(err.Error(), "protocol version 2") {
		t.Errorf("wrong version: %v", err)
	}
	var missing RunResult
	if err := DecodeAnswer(msgs[5], VerbResult, &missing); err != nil || missing.Error == "" || missing.Exit != -1 {
		t.Errorf("missing binary = %+v, %v", missing, err)
	}
	if err := DecodeAnswer(msgs[6], VerbResult, &run); err == nil {
		t.Error("a bye decoded as a result")
	}
}

func TestDecodeAnswerRefusesTrailingDataAndOtherVerbs(t *testing.T) {
	var r RunResult
	for _, m := range []Msg{
		{Verb: VerbResult, Payload: `{"v":1} {"v":1}`},
		{Verb: VerbResult, Payload: `{"v":1`},
		{Verb: VerbPutOK, Payload: `{"v":1}`},
	} {
		if err := DecodeAnswer(m, VerbResult, &r); err == nil {
			t.Errorf("DecodeAnswer(%+v) accepted", m)
		}
	}
}

func TestAgentRequestsAreBounded(t *testing.T) {
	big := strings.Repeat("x", MaxArgBytes+1)
	for _, c := range []struct {
		name string
		err  error
	}{
		{"run ok", RunRequest{V: 1, Argv: []string{"python3", "-c", "print(1)"}, Env: []string{"A=1"}}.Validate()},
		{"put ok", PutRequest{V: 1, Path: "/work/a", Data: []byte("x")}.Validate()},
		{"get ok", GetRequest{V: 1, Path: "/work/a", Length: MaxChunk}.Validate()},
	} {
		if c.err != nil {
			t.Errorf("%s: %v", c.name, c.err)
		}
	}
	for _, c := range []struct {
		name string
		err  error
	}{
		{"version", RunRequest{V: 2, Argv: []string{"a"}}.Validate()},
		{"no argv", RunRequest{V: 1}.Validate()},
		{"huge argv", RunRequest{V: 1, Argv: []string{big}}.Validate()},
		{"bad env", RunRequest{V: 1, Argv: []string{"a"}, Env: []string{"NOEQUALS"}}.Validate()},
		{"huge stdin", RunRequest{V: 1, Argv: []string{"a"}, Stdin: make([]byte, MaxStdin+1)}.Validate()},
		{"negative timeout", RunRequest{V: 1, Argv: []string{"a"}, TimeoutMS: -1}.Validate()},
		{"relative path", PutRequest{V: 1, Path: "work/a"}.Validate()},
		{"huge chunk", PutRequest{V: 1, Path: "/a", Data: make([]byte, MaxChunk+1)}.Validate()},
		{"setuid mode", PutRequest{V: 1, Path: "/a", Mode: 0o4755}.Validate()},
		{"zero-length get", GetRequest{V: 1, Path: "/a"}.Validate()},
		{"huge get", GetRequest{V: 1, Path: "/a", Length: MaxChunk + 1}.Validate()},
	} {
		if c.err == nil {
			t.Errorf("%s: accepted", c.name)
		} else if len(c.err.Error()) > 200 {
			t.Errorf("%s: error of %d bytes", c.name, len(c.err.Error()))
		}
	}
}
