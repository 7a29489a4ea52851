package qemu

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"
)

// The QEMU guest agent (qemu-ga, Debian's qemu-guest-agent in the image),
// reached through a unix socket chardev on its virtio-serial port: the
// runtime's own exec path. A small client of its protocol, because
// go-qemu speaks QMP only: JSON commands, one reply per line; a session
// starts with guest-sync-delimited, whose reply follows a 0xFF byte, so
// that whatever a cut-short exchange left in either direction is skipped.
const (
	qgaSyncByte = 0xFF
	// maxQGAReply bounds a reply line: guest-exec-status carries the
	// exec's output base64-encoded, and an exec's probe writes one result
	// line of bounded fields (well under 4 MiB).
	maxQGAReply = 8 << 20
	// maxExecOutput bounds the decoded stdout of an exec.
	maxExecOutput = 4 << 20
	qgaDial       = 2 * time.Second
	// execPollFirst and execPollMax pace guest-exec-status.
	execPollFirst = time.Millisecond
	execPollMax   = 20 * time.Millisecond
)

// guestAgent is one connection to a VM's qemu-ga, reconnected when an
// exchange fails. One exchange at a time.
type guestAgent struct {
	path string

	mu   sync.Mutex
	conn net.Conn
	br   *bufio.Reader
	seq  int64
}

func (g *guestAgent) closeLocked() {
	if g.conn != nil {
		g.conn.Close()
		g.conn, g.br = nil, nil
	}
}

func (g *guestAgent) close() {
	g.mu.Lock()
	g.closeLocked()
	g.mu.Unlock()
}

// bound makes ctx's end interrupt the connection's reads and writes.
func bound(ctx context.Context, c net.Conn) (stop func() bool) {
	if dl, ok := ctx.Deadline(); ok {
		c.SetDeadline(dl)
	} else {
		c.SetDeadline(time.Time{})
	}
	return context.AfterFunc(ctx, func() { c.SetDeadline(time.Unix(1, 0)) })
}

// connectLocked dials the socket and syncs, retrying while qemu-ga in a
// guest that has just booted has not opened its port yet (its replies
// then never come: each sync gets a short wait of its own).
func (g *guestAgent) connectLocked(ctx context.Context) error {
	if g.conn != nil {
		return nil
	}
	var last error
	for wait := 100 * time.Millisecond; ; wait = min(2*wait, time.Second) {
		err := g.dialAndSync(ctx, wait)
		if err == nil {
			return nil
		}
		last = err
		if ctx.Err() != nil {
			return retriedUntil(ctx, "connect to the guest agent at "+g.path, "last", last)
		}
	}
}

func (g *guestAgent) dialAndSync(ctx context.Context, wait time.Duration) error {
	d := net.Dialer{Timeout: qgaDial}
	c, err := d.DialContext(ctx, "unix", g.path)
	if err != nil {
		return err
	}
	sctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	stop := bound(sctx, c)
	defer stop()
	br := bufio.NewReaderSize(c, 64<<10)
	g.seq++
	id := time.Now().UnixNano()&0x3fffffff + g.seq
	req, _ := json.Marshal(map[string]any{"execute": "guest-sync-delimited", "arguments": map[string]any{"id": id}})
	if _, err := c.Write(append([]byte{qgaSyncByte}, append(req, '\n')...)); err != nil {
		c.Close()
		return err
	}
	if err := readSync(br, id); err != nil {
		c.Close()
		return err
	}
	c.SetDeadline(time.Time{})
	g.conn, g.br = c, br
	return nil
}

// readSync skips to the 0xFF byte and reads replies until the sync's own.
func readSync(br *bufio.Reader, id int64) error {
	if _, err := br.ReadBytes(qgaSyncByte); err != nil {
		return fmt.Errorf("guest-sync-delimited: %w", err)
	}
	for {
		line, err := readReply(br)
		if err != nil {
			return fmt.Errorf("guest-sync-delimited: %w", err)
		}
		ret, err := parseQGAReply(line)
		if err != nil {
			return fmt.Errorf("guest-sync-delimited: %w", err)
		}
		var got int64
		if json.Unmarshal(ret, &got) == nil && got == id {
			return nil
		}
		// a reply to an exchange cut short before: skip it
	}
}

// readReply reads one reply line, at most maxQGAReply bytes.
func readReply(br *bufio.Reader) ([]byte, error) {
	var buf []byte
	for {
		frag, err := br.ReadSlice('\n')
		buf = append(buf, frag...)
		if len(buf) > maxQGAReply {
			return nil, fmt.Errorf("a reply longer than %d bytes", maxQGAReply)
		}
		switch {
		case err == nil:
			if b := bytes.TrimSpace(buf); len(b) > 0 {
				return b, nil
			}
			buf = buf[:0] // an empty line
		case errors.Is(err, bufio.ErrBufferFull):
		default:
			return nil, err
		}
	}
}

// qgaError is a guest agent's {"error": {"class", "desc"}}.
type qgaError struct {
	Class string `json:"class"`
	Desc  string `json:"desc"`
}

func (e *qgaError) Error() string { return "guest agent " + e.Class + ": " + e.Desc }

// parseQGAReply returns a reply's "return" member, or its error.
func parseQGAReply(line []byte) (json.RawMessage, error) {
	var r struct {
		Return json.RawMessage `json:"return"`
		Error  *qgaError       `json:"error"`
	}
	if err := json.Unmarshal(line, &r); err != nil {
		return nil, fmt.Errorf("parse guest agent reply %q: %w", truncate(string(line), 200), err)
	}
	if r.Error != nil {
		return nil, r.Error
	}
	if r.Return == nil {
		return nil, fmt.Errorf("guest agent reply %q: neither return nor error", truncate(string(line), 200))
	}
	return r.Return, nil
}

// callLocked sends one command and reads its reply's return member. A
// failed exchange closes the connection: the next one syncs anew.
func (g *guestAgent) callLocked(ctx context.Context, command string, args any) (json.RawMessage, error) {
	if err := g.connectLocked(ctx); err != nil {
		return nil, err
	}
	req := map[string]any{"execute": command}
	if args != nil {
		req["arguments"] = args
	}
	b, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", command, err)
	}
	stop := bound(ctx, g.conn)
	defer stop()
	if _, err := g.conn.Write(append(b, '\n')); err != nil {
		g.closeLocked()
		return nil, fmt.Errorf("%s: %w", command, withCtx(ctx, err))
	}
	line, err := readReply(g.br)
	if err != nil {
		g.closeLocked()
		return nil, fmt.Errorf("%s: %w", command, withCtx(ctx, err))
	}
	ret, err := parseQGAReply(line)
	if err != nil {
		var qe *qgaError
		if !errors.As(err, &qe) {
			g.closeLocked() // not the protocol: start over
		}
		return nil, fmt.Errorf("%s: %w", command, err)
	}
	return ret, nil
}

// withCtx prefers ctx's error to the deadline error it caused.
func withCtx(ctx context.Context, err error) error {
	if cerr := ctx.Err(); cerr != nil {
		return fmt.Errorf("%w (%v)", cerr, err)
	}
	return err
}

// execStatus is guest-exec-status's answer.
type execStatus struct {
	Exited       bool   `json:"exited"`
	ExitCode     *int   `json:"exitcode"`
	Signal       *int   `json:"signal"`
	OutData      string `json:"out-data"`
	ErrData      string `json:"err-data"`
	OutTruncated bool   `json:"out-truncated"`
	ErrTruncated bool   `json:"err-truncated"`
}

func parseExecPID(ret json.RawMessage) (int, error) {
	var r struct {
		PID *int `json:"pid"`
	}
	if err := json.Unmarshal(ret, &r); err != nil || r.PID == nil || *r.PID <= 0 {
		return 0, fmt.Errorf("guest-exec: no pid in %q", truncate(string(ret), 200))
	}
	return *r.PID, nil
}

func parseExecStatus(ret json.RawMessage) (execStatus, error) {
	var s execStatus
	if err := json.Unmarshal(ret, &s); err != nil {
		return s, fmt.Errorf("guest-exec-status: parse %q: %w", truncate(string(ret), 200), err)
	}
	return s, nil
}

// decodeOutput decodes base64 output of at most maxExecOutput bytes.
func decodeOutput(what, b64 string) ([]byte, error) {
	if base64.StdEncoding.DecodedLen(len(b64)) > maxExecOutput+3 {
		return nil, fmt.Errorf("%s of more than %d bytes", what, maxExecOutput)
	}
	b, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return b, nil
}

// exec runs path with args in the guest through guest-exec, polls
// guest-exec-status until it has exited, and returns its stdout. A
// non-zero exit or a signal is an error quoting its stderr. When ctx
// ends first, the guest process is killed (best effort, through the agent)
// and ctx's error returned.
func (g *guestAgent) exec(ctx context.Context, path string, args []string) ([]byte, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	ret, err := g.callLocked(ctx, "guest-exec", map[string]any{"path": path, "arg": args, "capture-output": true})
	if err != nil {
		return nil, err
	}
	pid, err := parseExecPID(ret)
	if err != nil {
		return nil, err
	}
	for wait := execPollFirst; ; wait = min(wait*3/2+time.Millisecond/2, execPollMax) {
		ret, err := g.callLocked(ctx, "guest-exec-status", map[string]any{"pid": pid})
		if err != nil {
			if ctx.Err() != nil {
				g.killLocked(context.WithoutCancel(ctx), pid)
			}
			return nil, err
		}
		st, err := parseExecStatus(ret)
		if err != nil {
			return nil, err
		}
		if st.Exited {
			return st.result(path)
		}
		select {
		case <-ctx.Done():
			g.killLocked(context.WithoutCancel(ctx), pid)
			return nil, fmt.Errorf("guest-exec %s (guest pid %d): %w", path, pid, ctx.Err())
		case <-time.After(wait):
		}
	}
}

// result is an exited process's stdout, or why it failed.
func (s execStatus) result(path string) ([]byte, error) {
	out, err := decodeOutput("stdout", s.OutData)
	if err != nil {
		return nil, fmt.Errorf("guest-exec %s: %w", path, err)
	}
	errOut, _ := decodeOutput("stderr", s.ErrData)
	switch {
	case s.Signal != nil:
		return out, fmt.Errorf("guest-exec %s: killed by signal %d: %s", path, *s.Signal, truncate(string(bytes.TrimSpace(errOut)), 300))
	case s.ExitCode != nil && *s.ExitCode != 0:
		return out, fmt.Errorf("guest-exec %s: exit status %d: %s", path, *s.ExitCode, truncate(string(bytes.TrimSpace(errOut)), 300))
	case s.OutTruncated:
		return out, fmt.Errorf("guest-exec %s: the agent cut its stdout at %d bytes", path, len(out))
	}
	return out, nil
}

// killLocked ends a guest process an abandoned exec started, through the
// agent's own exec of the guest's shell, within a short bound of its own.
func (g *guestAgent) killLocked(ctx context.Context, pid int) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	g.callLocked(ctx, "guest-exec", map[string]any{"path": "/bin/sh", "arg": []string{"-c", fmt.Sprintf("kill -KILL %d", pid)}})
}
