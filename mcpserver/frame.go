package mcpserver

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sync"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/agentic-eval/agentic-eval/results"
)

// The stdio framing of this server. The SDK's own stdio transport (go-sdk
// v1.8.0, upstream issue modelcontextprotocol/go-sdk#1209) ends the
// session on the first frame it cannot decode; this one answers every
// malformed frame with its JSON-RPC error and reads on. A frame is one
// line: a truncated object never swallows the line after it.

// Frame bounds: a frame longer than MaxFrameBytes, or nested deeper than
// MaxFrameDepth, is answered with a parse error and never decoded. No
// request of this server comes near either (arguments are capped at
// MaxArgumentBytes per string, and none nests beyond four levels).
const (
	MaxFrameBytes = 4 << 20
	MaxFrameDepth = 64
)

// StdioTransport is an mcp.Transport over newline-delimited JSON-RPC on a
// reader and a writer (the process's stdin and stdout), that survives bad
// input. Neither In nor Out is closed by the transport.
type StdioTransport struct {
	In  io.Reader
	Out io.Writer
	// MaxFrameBytes and MaxDepth bound one frame; 0 means MaxFrameBytes
	// and MaxFrameDepth.
	MaxFrameBytes int
	MaxDepth      int
}

// Connect starts reading frames.
func (t *StdioTransport) Connect(context.Context) (mcp.Connection, error) {
	c := &frameConn{
		out:      t.Out,
		maxBytes: t.MaxFrameBytes,
		maxDepth: t.MaxDepth,
		incoming: make(chan jsonrpc.Message),
		done:     make(chan struct{}),
		closed:   make(chan struct{}),
	}
	if c.maxBytes <= 0 {
		c.maxBytes = MaxFrameBytes
	}
	if c.maxDepth <= 0 {
		c.maxDepth = MaxFrameDepth
	}
	go c.readLoop(bufio.NewReaderSize(t.In, 64<<10))
	return c, nil
}

type frameConn struct {
	out                io.Writer
	maxBytes, maxDepth int

	wmu      sync.Mutex
	incoming chan jsonrpc.Message
	done     chan struct{} // closed when the input ends
	readErr  error         // why it ended, set before done is closed
	closed   chan struct{}
	once     sync.Once
}

func (c *frameConn) SessionID() string { return "" }

// Read returns the next well-formed message; malformed frames were
// answered by the read loop and never reach the SDK.
func (c *frameConn) Read(ctx context.Context) (jsonrpc.Message, error) {
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case m := <-c.incoming:
		return m, nil
	case <-c.done:
		return nil, c.readErr
	case <-c.closed:
		return nil, io.EOF
	}
}

// Write sends one message as one line.
func (c *frameConn) Write(ctx context.Context, msg jsonrpc.Message) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	data, err := jsonrpc.EncodeMessage(msg)
	if err != nil {
		return fmt.Errorf("encode message: %w", err)
	}
	return c.writeLine(data)
}

func (c *frameConn) writeLine(data []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	select {
	case <-c.closed:
		return mcp.ErrConnectionClosed
	default:
	}
	_, err := c.out.Write(append(data, '\n'))
	return err
}

// Close stops delivering messages. A read blocked on the input stays
// blocked until the input ends (stdin cannot be unblocked portably), but it
// delivers nothing more.
func (c *frameConn) Close() error {
	c.once.Do(func() { close(c.closed) })
	return nil
}

func (c *frameConn) readLoop(r *bufio.Reader) {
	defer close(c.done)
	for {
		line, over, err := readFrame(r, c.maxBytes)
		if len(bytes.TrimSpace(line)) > 0 || over > 0 {
			msg, rej := c.decode(line, over)
			if rej != nil {
				if werr := c.writeLine(rej.wire()); werr != nil {
					c.readErr = werr
					return
				}
			} else {
				select {
				case c.incoming <- msg:
				case <-c.closed:
					c.readErr = io.EOF
					return
				}
			}
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = io.EOF
			}
			c.readErr = err
			return
		}
	}
}

// readFrame reads one line, without its newline. A line longer than max is
// read to its end and dropped: over is its length, line is nil.
func readFrame(r *bufio.Reader, max int) (line []byte, over int, err error) {
	for {
		chunk, err := r.ReadSlice('\n')
		n := len(chunk)
		if over > 0 || len(line)+n > max+1 { // +1: the newline itself
			if over == 0 {
				over = len(line)
				line = nil
			}
			over += n
		} else {
			line = append(line, chunk...)
		}
		switch {
		case err == nil:
			return bytes.TrimRight(line, "\r\n"), over, nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		default:
			return bytes.TrimRight(line, "\r\n"), over, err
		}
	}
}

// rejection is a malformed frame's JSON-RPC error.
type rejection struct {
	id      json.RawMessage // the request's id when it could be read, else null
	code    int64
	message string
}

func (r *rejection) wire() []byte {
	id := r.id
	if len(id) == 0 {
		id = json.RawMessage("null")
	}
	b, _ := json.Marshal(struct {
		JSONRPC string          `json:"jsonrpc"`
		ID      json.RawMessage `json:"id"`
		Error   jsonrpc.Error   `json:"error"`
	}{"2.0", id, jsonrpc.Error{Code: r.code, Message: r.message}})
	return b
}

const frameRule = "a frame is one JSON-RPC 2.0 message object on one line"

// integerID is the id MCP allows besides a string: an integer, no
// fraction, no exponent, within float64's exact range.
var integerID = regexp.MustCompile(`^-?(0|[1-9][0-9]{0,14})$`)

// decode checks one frame and decodes it, or says why it is refused.
func (c *frameConn) decode(line []byte, over int) (jsonrpc.Message, *rejection) {
	parseErr := func(format string, args ...any) *rejection {
		return &rejection{code: jsonrpc.CodeParseError, message: "parse error: " + fmt.Sprintf(format, args...) + "; " + frameRule}
	}
	invalid := func(id json.RawMessage, format string, args ...any) *rejection {
		return &rejection{id: id, code: jsonrpc.CodeInvalidRequest, message: "invalid request: " + fmt.Sprintf(format, args...) + "; " + frameRule}
	}
	if over > 0 {
		return nil, parseErr("frame of %d bytes is over the limit of %d bytes", over, c.maxBytes)
	}
	line = bytes.TrimSpace(line)
	if d := depth(line); d > c.maxDepth {
		return nil, parseErr("frame nests %d levels deep, more than the limit of %d", d, c.maxDepth)
	}
	dec := json.NewDecoder(bytes.NewReader(line))
	var raw json.RawMessage
	if err := dec.Decode(&raw); err != nil {
		return nil, parseErr("%s in frame %s", jsonError(err, line), results.Shorten(string(line)))
	}
	if off := dec.InputOffset(); len(bytes.TrimSpace(line[off:])) > 0 {
		return nil, parseErr("more than one JSON value on one line (the second at byte %d)", off+1)
	}
	switch raw[0] {
	case '[':
		return nil, invalid(nil, "a batch (JSON array) is not supported: MCP removed JSON-RPC batching; send each message on its own line")
	case '{':
	default:
		return nil, invalid(nil, "the frame is a JSON %s, not a message object", kindOf(raw[0]))
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		return nil, invalid(nil, "%s", jsonError(err, raw))
	}
	id, hasID := fields["id"]
	if hasID {
		id = bytes.TrimSpace(id)
		switch {
		case id[0] == '"':
		case integerID.Match(id):
		default:
			what := "an " + kindOf(id[0])
			switch kindOf(id[0]) {
			case "number":
				what = "a number that is not an integer"
			case "null", "boolean", "string":
				what = "a " + kindOf(id[0])
			}
			return nil, invalid(nil, "id is %s (%s): an id is a string or an integer", what, results.Shorten(string(id)))
		}
	}
	if v := string(bytes.TrimSpace(fields["jsonrpc"])); v != `"2.0"` {
		if v == "" {
			return nil, invalid(id, `the member "jsonrpc" is missing: it must be "2.0"`)
		}
		return nil, invalid(id, `"jsonrpc" is %s: it must be "2.0"`, results.Shorten(v))
	}
	method, hasMethod := fields["method"]
	if hasMethod {
		var m string
		if json.Unmarshal(method, &m) != nil || m == "" {
			return nil, invalid(id, `"method" must be a non-empty string, got %s`, results.Shorten(string(method)))
		}
	} else {
		_, res := fields["result"]
		_, er := fields["error"]
		if !hasID || res == er {
			return nil, invalid(id, `a message without "method" must be a response: an id and exactly one of "result" or "error"`)
		}
	}
	if p, ok := fields["params"]; ok {
		if b := bytes.TrimSpace(p); len(b) == 0 || (b[0] != '{' && b[0] != '[') {
			return nil, invalid(id, `"params" must be an object, got a JSON %s`, kindOf(b[0]))
		}
	}
	msg, err := jsonrpc.DecodeMessage(raw)
	if err != nil {
		return nil, invalid(id, "%s", results.Shorten(err.Error()))
	}
	return msg, nil
}

// depth is the deepest nesting of arrays and objects in a JSON text,
// counted outside strings, without parsing it.
func depth(b []byte) int {
	d, deepest, inString, escaped := 0, 0, false, false
	for _, c := range b {
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
		case c == '"':
			inString = true
		case c == '{' || c == '[':
			d++
			deepest = max(deepest, d)
		case c == '}' || c == ']':
			d--
		}
	}
	return deepest
}

func kindOf(c byte) string {
	switch {
	case c == '{':
		return "object"
	case c == '[':
		return "array"
	case c == '"':
		return "string"
	case c == 't' || c == 'f':
		return "boolean"
	case c == 'n':
		return "null"
	default:
		return "number"
	}
}

// jsonError says where a JSON text broke, without echoing it.
func jsonError(err error, text []byte) string {
	var se *json.SyntaxError
	switch {
	case errors.As(err, &se):
		return fmt.Sprintf("invalid JSON at byte %d (%s)", se.Offset, se.Error())
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return fmt.Sprintf("the JSON text ends early, after %d bytes (a truncated message?)", len(text))
	}
	return results.Shorten(err.Error())
}
