package main

// The agent's requests: run a command, put a file, get a file (package
// probe's agent protocol). Every answer is one line; every failure is an
// answer with its error, never a crash of the probe.

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"github.com/agentic-eval/agentic-eval/probe"
)

// agent answers an agent request, or reports false when verb is none.
func agent(verb, body string) (string, bool) {
	switch verb {
	case probe.ReqRun:
		var r probe.RunRequest
		if err := decodeRequest(body, &r); err != nil {
			return errorReply(verb, err), true
		}
		if err := r.Validate(); err != nil {
			return errorReply(verb, err), true
		}
		return answer(probe.VerbResult, runCommand(r)), true
	case probe.ReqPut:
		var r probe.PutRequest
		if err := decodeRequest(body, &r); err != nil {
			return errorReply(verb, err), true
		}
		if err := r.Validate(); err != nil {
			return errorReply(verb, err), true
		}
		return answer(probe.VerbPutOK, putFile(r)), true
	case probe.ReqGet:
		var r probe.GetRequest
		if err := decodeRequest(body, &r); err != nil {
			return errorReply(verb, err), true
		}
		if err := r.Validate(); err != nil {
			return errorReply(verb, err), true
		}
		return answer(probe.VerbContent, getFile(r)), true
	case probe.ReqSessionStart:
		var r probe.SessionStart
		if err := decodeRequest(body, &r); err != nil {
			return errorReply(verb, err), true
		}
		if err := r.Validate(); err != nil {
			return errorReply(verb, err), true
		}
		return answer(probe.VerbSessionReady, startSession(r)), true
	case probe.ReqSessionSend:
		var r probe.SessionSend
		if err := decodeRequest(body, &r); err != nil {
			return errorReply(verb, err), true
		}
		if err := r.Validate(); err != nil {
			return errorReply(verb, err), true
		}
		return answer(probe.VerbSessionOut, sendSession(r)), true
	}
	return "", false
}

// session is the one interpreter the probe holds, if any.
var session struct {
	cmd   *exec.Cmd
	in    io.WriteCloser
	lines chan string // its stdout, line by line; closed at its end
}

func startSession(r probe.SessionStart) probe.SessionReply {
	res := probe.SessionReply{V: probe.AgentVersion}
	if session.cmd != nil {
		res.Error = "a session runs already"
		return res
	}
	t0 := time.Now()
	cmd := exec.Command(r.Argv[0], r.Argv[1:]...)
	cmd.Env = append([]string{defaultPath, "HOME=/work", "LANG=C.UTF-8"}, r.Env...)
	cmd.Dir = r.Dir
	cmd.Stderr = io.Discard
	in, err := cmd.StdinPipe()
	if err != nil {
		res.Error = err.Error()
		return res
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		res.Error = err.Error()
		return res
	}
	if err := cmd.Start(); err != nil {
		res.Error = err.Error()
		return res
	}
	lines := make(chan string, 16)
	go func() {
		br := bufio.NewReaderSize(out, 64<<10)
		for {
			line, err := br.ReadString('\n')
			if line != "" {
				if len(line) > probe.MaxOutput {
					line = line[:probe.MaxOutput]
				}
				lines <- strings.TrimRight(line, "\r\n")
			}
			if err != nil {
				close(lines)
				cmd.Wait()
				return
			}
		}
	}()
	session.cmd, session.in, session.lines = cmd, in, lines
	res.PID = cmd.Process.Pid
	res.DurationNS = int64(time.Since(t0))
	return res
}

func sendSession(r probe.SessionSend) probe.SessionReply {
	res := probe.SessionReply{V: probe.AgentVersion}
	if session.cmd == nil {
		res.Error = "no session: start one first"
		return res
	}
	timeout := time.Duration(r.TimeoutMS) * time.Millisecond
	if timeout == 0 {
		timeout = probe.MaxTimeoutMS * time.Millisecond
	}
	t0 := time.Now()
	if _, err := io.WriteString(session.in, r.Line+"\n"); err != nil {
		res.Error = "write to the session: " + err.Error()
		return res
	}
	select {
	case line, ok := <-session.lines:
		if !ok {
			res.Error = "the session ended"
			session.cmd = nil
		}
		res.Line = line
	case <-time.After(timeout):
		res.Error = "the session did not answer in time"
	}
	res.DurationNS = int64(time.Since(t0))
	return res
}

func decodeRequest(body string, v any) error {
	dec := json.NewDecoder(strings.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("trailing data after the JSON object")
	}
	return nil
}

func errorReply(verb string, err error) string {
	msg := strings.ReplaceAll(err.Error(), "\n", " ")
	if len(msg) > 300 {
		msg = msg[:300] + "..."
	}
	return probe.VerbError + " " + verb + ": " + msg
}

func answer(verb string, v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return errorReply(verb, err)
	}
	return verb + " " + string(b)
}

// boundedBuffer keeps the first max bytes written and notes the rest.
type boundedBuffer struct {
	buf  bytes.Buffer
	max  int
	over bool
}

func (b *boundedBuffer) Write(p []byte) (int, error) {
	if room := b.max - b.buf.Len(); room < len(p) {
		b.over = true
		if room > 0 {
			b.buf.Write(p[:room])
		}
		return len(p), nil
	}
	return b.buf.Write(p)
}

const defaultPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

func runCommand(r probe.RunRequest) probe.RunResult {
	res := probe.RunResult{V: probe.AgentVersion, Exit: -1}
	timeout := time.Duration(r.TimeoutMS) * time.Millisecond
	if timeout == 0 {
		timeout = probe.MaxTimeoutMS * time.Millisecond
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.Command(r.Argv[0], r.Argv[1:]...)
	cmd.Env = append([]string{defaultPath, "HOME=/work", "LANG=C.UTF-8"}, r.Env...)
	cmd.Dir = r.Dir
	cmd.Stdin = bytes.NewReader(r.Stdin)
	stdout, stderr := &boundedBuffer{max: probe.MaxOutput}, &boundedBuffer{max: probe.MaxOutput}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	// Its own process group, so that a timeout ends everything it started.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		res.Error = err.Error()
		res.DurationNS = int64(time.Since(t0))
		return res
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-ctx.Done():
		res.TimedOut = true
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		err = <-done
	}
	res.DurationNS = int64(time.Since(t0))
	res.Stdout, res.Stderr = stdout.buf.Bytes(), stderr.buf.Bytes()
	res.Truncated = stdout.over || stderr.over
	var ee *exec.ExitError
	switch {
	case err == nil:
		res.Exit = 0
	case errors.As(err, &ee):
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			res.Signal = ws.Signal().String()
		} else {
			res.Exit = ee.ExitCode()
		}
	default:
		res.Error = err.Error()
	}
	return res
}

func putFile(r probe.PutRequest) probe.PutResult {
	res := probe.PutResult{V: probe.AgentVersion, Path: r.Path}
	mode := os.FileMode(r.Mode)
	if mode == 0 {
		mode = 0o644
	}
	flags := os.O_WRONLY | os.O_CREATE
	if r.Offset == 0 {
		flags |= os.O_TRUNC
	}
	f, err := os.OpenFile(r.Path, flags, mode)
	if err != nil {
		res.Error = err.Error()
		return res
	}
	if _, err := f.WriteAt(r.Data, r.Offset); err != nil {
		f.Close()
		res.Error = err.Error()
		return res
	}
	if r.Last {
		if err := f.Sync(); err != nil {
			res.Error = err.Error()
		}
	}
	if err := f.Close(); err != nil && res.Error == "" {
		res.Error = err.Error()
	}
	if fi, err := os.Stat(r.Path); err == nil {
		res.Bytes = fi.Size()
	}
	if r.Last && res.Error == "" {
		res.SHA256, res.Error = hashFile(r.Path)
	}
	return res
}

func getFile(r probe.GetRequest) probe.GetResult {
	res := probe.GetResult{V: probe.AgentVersion, Path: r.Path, Offset: r.Offset}
	f, err := os.Open(r.Path)
	if err != nil {
		res.Error = err.Error()
		return res
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		res.Error = "not a regular file"
		return res
	}
	res.Size = fi.Size()
	buf := make([]byte, r.Length)
	n, err := f.ReadAt(buf, r.Offset)
	res.Data = buf[:n]
	if err != nil && err != io.EOF {
		res.Error = err.Error()
		return res
	}
	if r.Offset+int64(n) >= res.Size {
		res.EOF = true
		res.SHA256, res.Error = hashFile(r.Path)
	}
	return res
}

func hashFile(path string) (string, string) {
	f, err := os.Open(path)
	if err != nil {
		return "", err.Error()
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err.Error()
	}
	return hex.EncodeToString(h.Sum(nil)), ""
}
