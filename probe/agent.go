package probe

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// The probe is the sandbox's agent: besides its readiness and isolation
// messages it runs commands and moves files on the harness's behalf, as
// an agent's tool calls do. Each request is one line, "<verb> <JSON>", and
// each answer one line, "AEPROBE <verb> <JSON>"; byte fields are base64
// (JSON's []byte), so no line ever carries a raw newline. Every field is
// bounded, so that no request or answer outgrows a line the harness reads
// (maxLine) and a console can carry.

// AgentVersion is the version of the run/put/get protocol. A request with
// another version is refused.
const AgentVersion = 1

// Request verbs of the agent protocol, and their answers' verbs.
const (
	ReqRun      = "run"
	ReqPut      = "put"
	ReqGet      = "get"
	VerbResult  = "result"
	VerbPutOK   = "put-ok"
	VerbContent = "content"
)

// Bounds of the protocol.
const (
	// MaxChunk is the largest data a put carries or a get returns in one
	// message: files move in chunks of at most this many bytes.
	MaxChunk = 256 << 10
	// MaxOutput is the most stdout, and the most stderr, a run returns;
	// more is cut and the result says so.
	MaxOutput = 256 << 10
	// MaxStdin is the most stdin a run hands its command.
	MaxStdin = 256 << 10
	// MaxArgs and MaxArgBytes bound a command line; MaxEnv the environment.
	MaxArgs     = 256
	MaxArgBytes = 64 << 10
	MaxEnv      = 128
	// MaxPath bounds a path.
	MaxPath = 4096
	// MaxTimeoutMS is the longest a run may be given.
	MaxTimeoutMS = 10 * 60 * 1000
)

// RunRequest asks the probe to run a command and wait for it.
type RunRequest struct {
	V    int      `json:"v"`
	Argv []string `json:"argv"`
	Env  []string `json:"env,omitempty"` // KEY=VALUE, added to a minimal PATH
	Dir  string   `json:"dir,omitempty"`
	// Stdin is handed to the command, then its stdin is closed.
	Stdin []byte `json:"stdin,omitempty"`
	// TimeoutMS ends the command (SIGKILL to its process group) after this
	// long; 0 means MaxTimeoutMS.
	TimeoutMS int `json:"timeout_ms,omitempty"`
}

// RunResult is what a run returns.
type RunResult struct {
	V int `json:"v"`
	// Exit is the exit status, -1 when the command did not exit normally
	// (a signal, a timeout) or never started.
	Exit     int    `json:"exit"`
	Signal   string `json:"signal,omitempty"`
	TimedOut bool   `json:"timed_out,omitempty"`
	Stdout   []byte `json:"stdout,omitempty"`
	Stderr   []byte `json:"stderr,omitempty"`
	// Truncated says stdout or stderr was cut at MaxOutput.
	Truncated bool `json:"truncated,omitempty"`
	// DurationNS is the probe's own measure, from before the command's
	// start to after its exit.
	DurationNS int64 `json:"duration_ns"`
	// Error says why the command could not run (not found, bad dir).
	Error string `json:"error,omitempty"`
}

// PutRequest writes one chunk of a file: at Offset, Data; Offset 0
// creates or truncates the file. Last closes it and asks for its hash.
type PutRequest struct {
	V      int    `json:"v"`
	Path   string `json:"path"`
	Offset int64  `json:"offset"`
	Data   []byte `json:"data,omitempty"`
	Mode   uint32 `json:"mode,omitempty"` // 0 means 0644
	Last   bool   `json:"last,omitempty"`
}

// PutResult answers a put: the bytes the file holds, and when the chunk
// was the last, the SHA-256 of the whole file as read back.
type PutResult struct {
	V      int    `json:"v"`
	Path   string `json:"path"`
	Bytes  int64  `json:"bytes"`
	SHA256 string `json:"sha256,omitempty"`
	Error  string `json:"error,omitempty"`
}

// GetRequest reads up to Length bytes (at most MaxChunk) at Offset.
type GetRequest struct {
	V      int    `json:"v"`
	Path   string `json:"path"`
	Offset int64  `json:"offset"`
	Length int    `json:"length"`
}

// GetResult is one chunk of a file; at its end (EOF), the SHA-256 of the
// whole file and its size.
type GetResult struct {
	V      int    `json:"v"`
	Path   string `json:"path"`
	Offset int64  `json:"offset"`
	Data   []byte `json:"data,omitempty"`
	EOF    bool   `json:"eof,omitempty"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256,omitempty"`
	Error  string `json:"error,omitempty"`
}

// Validate checks a run request's bounds.
func (r RunRequest) Validate() error {
	if r.V != AgentVersion {
		return fmt.Errorf("protocol version %d: this probe speaks %d", r.V, AgentVersion)
	}
	if len(r.Argv) == 0 || r.Argv[0] == "" {
		return errors.New("argv is empty")
	}
	if len(r.Argv) > MaxArgs || len(r.Env) > MaxEnv {
		return fmt.Errorf("%d arguments and %d environment entries: at most %d and %d", len(r.Argv), len(r.Env), MaxArgs, MaxEnv)
	}
	n := 0
	for _, a := range append(append([]string(nil), r.Argv...), r.Env...) {
		n += len(a)
	}
	if n > MaxArgBytes {
		return fmt.Errorf("command line and environment of %d bytes: at most %d", n, MaxArgBytes)
	}
	for _, e := range r.Env {
		if k, _, ok := strings.Cut(e, "="); !ok || k == "" {
			return fmt.Errorf("environment entry %q is not KEY=VALUE", truncateText(e, 40))
		}
	}
	if len(r.Dir) > MaxPath {
		return fmt.Errorf("dir of %d bytes: at most %d", len(r.Dir), MaxPath)
	}
	if len(r.Stdin) > MaxStdin {
		return fmt.Errorf("stdin of %d bytes: at most %d", len(r.Stdin), MaxStdin)
	}
	if r.TimeoutMS < 0 || r.TimeoutMS > MaxTimeoutMS {
		return fmt.Errorf("timeout of %d ms: between 0 and %d", r.TimeoutMS, MaxTimeoutMS)
	}
	return nil
}

// Validate checks a put request's bounds.
func (r PutRequest) Validate() error {
	if r.V != AgentVersion {
		return fmt.Errorf("protocol version %d: this probe speaks %d", r.V, AgentVersion)
	}
	if err := checkPath(r.Path); err != nil {
		return err
	}
	if r.Offset < 0 || len(r.Data) > MaxChunk {
		return fmt.Errorf("chunk of %d bytes at %d: at most %d bytes, at a non-negative offset", len(r.Data), r.Offset, MaxChunk)
	}
	if r.Mode&^0o777 != 0 {
		return fmt.Errorf("mode %#o: permission bits only", r.Mode)
	}
	return nil
}

// Validate checks a get request's bounds.
func (r GetRequest) Validate() error {
	if r.V != AgentVersion {
		return fmt.Errorf("protocol version %d: this probe speaks %d", r.V, AgentVersion)
	}
	if err := checkPath(r.Path); err != nil {
		return err
	}
	if r.Offset < 0 || r.Length <= 0 || r.Length > MaxChunk {
		return fmt.Errorf("read of %d bytes at %d: 1 to %d bytes, at a non-negative offset", r.Length, r.Offset, MaxChunk)
	}
	return nil
}

func checkPath(p string) error {
	if p == "" || p[0] != '/' || len(p) > MaxPath || strings.ContainsRune(p, 0) {
		return fmt.Errorf("path %q: an absolute path of at most %d bytes", truncateText(p, 60), MaxPath)
	}
	return nil
}

// EncodeRequest is the request line for verb and its JSON body.
func EncodeRequest(verb string, body any) (string, error) {
	b, err := json.Marshal(body)
	if err != nil {
		return "", fmt.Errorf("encode %s request: %w", verb, err)
	}
	return verb + " " + string(b), nil
}

// DecodeAnswer reads the JSON payload of an answer m of verb into v: an
// error message, another verb or a payload that is not one JSON object is
// an error.
func DecodeAnswer(m Msg, verb string, v any) error {
	if m.Verb == VerbError {
		return fmt.Errorf("probe error: %s", truncateText(m.Payload, 300))
	}
	if m.Verb != verb {
		return fmt.Errorf("probe answered %q, want %q", m.Verb, verb)
	}
	dec := json.NewDecoder(strings.NewReader(m.Payload))
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("probe %s answer: %w", verb, err)
	}
	if dec.More() {
		return fmt.Errorf("probe %s answer: trailing data after the JSON object", verb)
	}
	return nil
}

func truncateText(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}

// Call sends one agent request (run, put or get) with its JSON body and
// decodes the answer into out.
func (s *Stream) Call(ctx context.Context, verb string, body, out any) error {
	line, err := EncodeRequest(verb, body)
	if err != nil {
		return err
	}
	req, payload, _ := strings.Cut(line, " ")
	m, err := s.Request(ctx, req, payload)
	if err != nil {
		return err
	}
	return DecodeAnswer(m, ReplyVerb(verb), out)
}

// RunFlag makes the probe run the command of the RunRequest (JSON) that
// follows it, print one result line and exit: how the harness runs a
// workload through a runtime's own exec (docker exec, runc exec) rather
// than through the sandbox's agent.
const RunFlag = "--run"

// DecodeRunOutput reads the result line of a probe started with RunFlag.
func DecodeRunOutput(out []byte, res *RunResult) error {
	for _, line := range strings.Split(string(out), "\n") {
		if m, ok := Parse(line); ok && (m.Verb == VerbResult || m.Verb == VerbError) {
			return DecodeAnswer(m, VerbResult, res)
		}
	}
	return fmt.Errorf("no %s line in the exec's output %q", VerbResult, truncateText(string(out), 200))
}

// A session is one long-lived interpreter the probe holds for the harness
// (a primed Python, with its libraries imported): started once, then fed
// one line of input at a time, each answered by one line of its output.
// It lives inside the sandbox, so a snapshot carries it, warm, into every
// restore.
const (
	ReqSessionStart  = "session-start"
	ReqSessionSend   = "session-send"
	VerbSessionReady = "session-ready"
	VerbSessionOut   = "session-out"
)

// SessionStart starts the session's process; a session already running
// is refused.
type SessionStart struct {
	V    int      `json:"v"`
	Argv []string `json:"argv"`
	Env  []string `json:"env,omitempty"`
	Dir  string   `json:"dir,omitempty"`
}

// SessionSend writes Line (and a newline) to the session's stdin and
// waits, up to TimeoutMS, for one line of its stdout.
type SessionSend struct {
	V         int    `json:"v"`
	Line      string `json:"line"`
	TimeoutMS int    `json:"timeout_ms,omitempty"`
}

// SessionReply answers both: the session's pid when it started, its line
// of output when sent one, and the probe's own time for the exchange.
type SessionReply struct {
	V          int    `json:"v"`
	PID        int    `json:"pid,omitempty"`
	Line       string `json:"line,omitempty"`
	DurationNS int64  `json:"duration_ns"`
	Error      string `json:"error,omitempty"`
}

// Validate checks a session start's bounds.
func (r SessionStart) Validate() error {
	return RunRequest{V: r.V, Argv: r.Argv, Env: r.Env, Dir: r.Dir}.Validate()
}

// Validate checks a session send's bounds.
func (r SessionSend) Validate() error {
	if r.V != AgentVersion {
		return fmt.Errorf("protocol version %d: this probe speaks %d", r.V, AgentVersion)
	}
	if len(r.Line) > MaxStdin || strings.ContainsAny(r.Line, "\n\r") {
		return fmt.Errorf("a line of at most %d bytes without newlines", MaxStdin)
	}
	if r.TimeoutMS < 0 || r.TimeoutMS > MaxTimeoutMS {
		return fmt.Errorf("timeout of %d ms: between 0 and %d", r.TimeoutMS, MaxTimeoutMS)
	}
	return nil
}
