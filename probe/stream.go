package probe

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strconv"
	"strings"
	"sync"
	"time"
)

// ErrClosed is returned by a Stream's methods after Close.
var ErrClosed = errors.New("probe stream closed")

const (
	keepLines = 8       // lines kept to explain a failure
	maxQueue  = 64      // unread messages kept; older ones are dropped
	maxLine   = 1 << 20 // longer lines are cut (a console that never sends '\n')
)

// Stream is the harness's side of one probe: it reads the probe's output in
// its own goroutine, timestamping every line the moment it is read, and
// writes requests to the probe's input. Its methods are safe for concurrent
// use; requests are sent one at a time.
type Stream struct {
	in io.Writer
	rc io.Closer // out, when it can be closed
	wc io.Closer // in, when it can be closed

	reqMu sync.Mutex // one request in flight

	mu      sync.Mutex
	changed chan struct{} // closed and replaced whenever the state below changes
	ready   *Msg          // the first ready line
	queue   []Msg         // messages other than ready, not yet taken by a request
	last    []string      // the last few lines read, noise included
	readErr error         // why reading stopped (io.EOF at the end of output)
	closed  bool
}

// NewStream starts reading out (the probe's stdout or console) and writes
// requests to in (its stdin or console).
func NewStream(out io.Reader, in io.Writer) *Stream {
	s := &Stream{in: in, changed: make(chan struct{})}
	if c, ok := out.(io.Closer); ok {
		s.rc = c
	}
	if c, ok := in.(io.Closer); ok {
		s.wc = c
	}
	go s.read(out)
	return s
}

func (s *Stream) read(out io.Reader) {
	br := bufio.NewReaderSize(out, 64<<10)
	for {
		line, err := readLine(br)
		at := time.Now()
		if line != "" || err == nil {
			s.take(line, at)
		}
		if err != nil {
			s.mu.Lock()
			s.readErr = err
			s.signal()
			s.mu.Unlock()
			return
		}
	}
}

// readLine returns one line without its '\n'; a final line without '\n' is
// returned with the error that ended the output.
func readLine(br *bufio.Reader) (string, error) {
	var b []byte
	for {
		chunk, err := br.ReadSlice('\n')
		if len(b)+len(chunk) <= maxLine {
			b = append(b, chunk...)
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		return strings.TrimSuffix(string(b), "\n"), err
	}
}

func (s *Stream) take(line string, at time.Time) {
	line = strings.TrimRight(line, "\r")
	s.mu.Lock()
	defer s.mu.Unlock()
	if strings.TrimSpace(line) != "" {
		s.last = append(s.last, line)
		if len(s.last) > keepLines {
			s.last = s.last[len(s.last)-keepLines:]
		}
	}
	m, ok := Parse(line)
	if !ok {
		return
	}
	m.At = at
	if m.Verb == VerbReady {
		if s.ready == nil {
			s.ready = &m
			s.signal()
		}
		return
	}
	s.queue = append(s.queue, m)
	if len(s.queue) > maxQueue {
		s.queue = s.queue[len(s.queue)-maxQueue:]
	}
	s.signal()
}

// signal wakes every waiter; s.mu is held.
func (s *Stream) signal() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// LastOutput is the last few non-blank lines the probe wrote, noise
// included, oldest first.
func (s *Stream) LastOutput() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.last...)
}

// lastOutput formats the last lines for an error; s.mu is held.
func (s *Stream) lastOutput() string {
	if len(s.last) == 0 {
		return "no output"
	}
	q := make([]string, len(s.last))
	for i, l := range s.last {
		q[i] = strconv.Quote(l)
	}
	return "last output: " + strings.Join(q, " ")
}

// Ready waits for the probe's first ready line and returns it with its
// arrival time. It may be called again and returns the same message. It
// fails when the output ends first or ctx ends, with the last lines read.
func (s *Stream) Ready(ctx context.Context) (Msg, error) {
	for {
		s.mu.Lock()
		switch {
		case s.closed:
			s.mu.Unlock()
			return Msg{}, fmt.Errorf("wait for probe ready line: %w", ErrClosed)
		case s.ready != nil:
			m := *s.ready
			s.mu.Unlock()
			return m, nil
		case s.readErr != nil:
			err := fmt.Errorf("probe exited before ready: %s: %w", s.lastOutput(), s.readErr)
			s.mu.Unlock()
			return Msg{}, err
		}
		ch := s.changed
		s.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			s.mu.Lock()
			err := fmt.Errorf("wait for probe ready line: %s: %w", s.lastOutput(), ctx.Err())
			s.mu.Unlock()
			return Msg{}, err
		}
	}
}

// Request writes one request line (verb and args joined by spaces) and
// waits for its reply: the first later message with the reply's verb (see
// ReplyVerb) or "error". An "error" reply is returned with a non-nil error.
// Messages that arrived before the request, and others that are not its
// reply, are dropped. Request returns when ctx ends.
func (s *Stream) Request(ctx context.Context, verb string, args ...string) (Msg, error) {
	req := strings.Join(append([]string{verb}, args...), " ")
	shown := truncateText(req, 120) // errors name the request, never a whole payload
	want := ReplyVerb(verb, args...)
	s.reqMu.Lock()
	defer s.reqMu.Unlock()

	if s.in == nil {
		return Msg{}, fmt.Errorf("probe request %q: the stream has no input to the probe", shown)
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return Msg{}, fmt.Errorf("probe request %q: %w", shown, ErrClosed)
	}
	s.queue = nil // nothing read so far can answer this request
	s.mu.Unlock()

	werr := make(chan error, 1)
	go func() {
		_, err := io.WriteString(s.in, req+"\n")
		werr <- err
	}()
	select {
	case err := <-werr:
		if err != nil {
			return Msg{}, fmt.Errorf("probe request %q: write: %w", shown, err)
		}
	case <-ctx.Done():
		return Msg{}, fmt.Errorf("probe request %q: write: %w", shown, ctx.Err())
	}

	for {
		s.mu.Lock()
		for len(s.queue) > 0 {
			m := s.queue[0]
			s.queue = s.queue[1:]
			if m.Verb == VerbError {
				s.mu.Unlock()
				return m, fmt.Errorf("probe request %q: probe error: %s", shown, m.Payload)
			}
			if want == "" || m.Verb == want {
				s.mu.Unlock()
				return m, nil
			}
		}
		switch {
		case s.closed:
			s.mu.Unlock()
			return Msg{}, fmt.Errorf("probe request %q: %w", shown, ErrClosed)
		case s.readErr != nil:
			err := fmt.Errorf("probe request %q: output ended before the reply: %s: %w", shown, s.lastOutput(), s.readErr)
			s.mu.Unlock()
			return Msg{}, err
		}
		ch := s.changed
		s.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			s.mu.Lock()
			err := fmt.Errorf("probe request %q: no reply: %s: %w", shown, s.lastOutput(), ctx.Err())
			s.mu.Unlock()
			return Msg{}, err
		}
	}
}

// Close ends the stream: waiters return ErrClosed, and out and in are
// closed when they are io.Closers (which ends the reading goroutine). It is
// idempotent.
func (s *Stream) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.signal()
	s.mu.Unlock()
	var errs []error
	for _, c := range []io.Closer{s.wc, s.rc} {
		if c == nil || (c == s.rc && s.rc == s.wc) {
			continue
		}
		// A driver may have closed its end first; that is not a failure.
		if err := c.Close(); err != nil && !errors.Is(err, fs.ErrClosed) {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("close probe stream: %w", err)
	}
	return nil
}
