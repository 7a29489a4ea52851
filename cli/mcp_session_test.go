package cli_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/agentic-eval/agentic-eval/driver"
	"github.com/agentic-eval/agentic-eval/drivers/runc"
	"github.com/agentic-eval/agentic-eval/results"
)

// rawSession is the built binary's MCP server on stdio, spoken to line by
// line: what a client with bugs (or an attacker) sends.
type rawSession struct {
	t     *testing.T
	cmd   *exec.Cmd
	in    io.WriteCloser
	lines chan string
}

func startRaw(t *testing.T, args ...string) *rawSession {
	t.Helper()
	return startRawEnv(t, nil, args...)
}

func startRawEnv(t *testing.T, env []string, args ...string) *rawSession {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	cmd := exec.CommandContext(ctx, binary, append([]string{"mcp"}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &rawSession{t: t, cmd: cmd, in: in, lines: make(chan string, 16)}
	go func() {
		sc := bufio.NewScanner(out)
		sc.Buffer(make([]byte, 1<<20), 8<<20)
		for sc.Scan() {
			s.lines <- sc.Text()
		}
		close(s.lines)
	}()
	t.Cleanup(func() {
		in.Close()
		if err := cmd.Wait(); err != nil && ctx.Err() == nil {
			t.Errorf("agentic-eval mcp exited with %v; stderr:\n%s", err, stderr.String())
		}
	})
	return s
}

func (s *rawSession) send(line string) {
	s.t.Helper()
	if _, err := io.WriteString(s.in, line+"\n"); err != nil {
		s.t.Fatalf("write to the server: %v (did it exit?)", err)
	}
}

// reply is one JSON-RPC response.
type reply struct {
	ID     json.RawMessage `json:"id"`
	Result json.RawMessage `json:"result"`
	Error  *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
	raw string
}

func (s *rawSession) next() reply {
	s.t.Helper()
	select {
	case l, ok := <-s.lines:
		if !ok {
			s.t.Fatal("the server closed its stdout: the session ended")
		}
		var r reply
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			s.t.Fatalf("the server wrote a line that is not JSON: %q", l)
		}
		r.raw = l
		return r
	case <-time.After(20 * time.Second):
		s.t.Fatal("no reply within 20 s: the server hangs")
	}
	return reply{}
}

func (s *rawSession) initialize() {
	s.t.Helper()
	s.send(`{"jsonrpc":"2.0","id":"init","method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}}`)
	if r := s.next(); r.Error != nil || string(r.ID) != `"init"` {
		s.t.Fatalf("initialize: %s", r.raw)
	}
	s.send(`{"jsonrpc":"2.0","method":"notifications/initialized"}`)
}

// TestMCPSessionSurvivesEveryMalformedFrame sends each malformed input of
// issue 13 through the built binary's stdio, then a valid request that must
// be answered: the error comes first, with its code, and the session goes
// on. A truncated object does not swallow the request on the next line.
func TestMCPSessionSurvivesEveryMalformedFrame(t *testing.T) {
	deep := `{"jsonrpc":"2.0","id":1,"method":"ping","params":{"a":` + strings.Repeat("[", 1000) + strings.Repeat("]", 1000) + `}}`
	huge := `{"jsonrpc":"2.0","id":2,"method":"ping","params":{"a":"` + strings.Repeat("x", 5<<20) + `"}}`
	longGarbage := strings.Repeat("garbage ", 20000)
	cases := []struct {
		name, frame string
		code        int
		id          string // the id the error answers, "null" when none could be read
		says        string
	}{
		{"garbage", "this is not json", -32700, "null", "parse error"},
		{"long garbage is echoed truncated", longGarbage, -32700, "null", "…"},
		{"truncated object", `{"jsonrpc":"2.0","id":3,"method":"tools/list"`, -32700, "null", "ends early"},
		{"two messages on one line", `{"jsonrpc":"2.0","id":4,"method":"ping"}{"jsonrpc":"2.0","id":5,"method":"ping"}`, -32700, "null", "more than one JSON value"},
		{"nesting 1000 deep", deep, -32700, "null", "nests 1002 levels"},
		{"oversize frame", huge, -32700, "null", "over the limit"},
		{"a batch", `[{"jsonrpc":"2.0","id":6,"method":"ping"},{"jsonrpc":"2.0","id":7,"method":"ping"}]`, -32600, "null", "batch"},
		{"an object as id", `{"jsonrpc":"2.0","id":{"a":1},"method":"ping"}`, -32600, "null", "id is an object"},
		{"an array as id", `{"jsonrpc":"2.0","id":[1],"method":"ping"}`, -32600, "null", "id is an array"},
		{"a fractional id", `{"jsonrpc":"2.0","id":1.5,"method":"ping"}`, -32600, "null", "not an integer"},
		{"a number frame", `42`, -32600, "null", "not a message object"},
		{"a null id", `{"jsonrpc":"2.0","id":null,"method":"ping"}`, -32600, "null", "id is a null"},
		{"no jsonrpc member", `{"id":8,"method":"ping"}`, -32600, "8", `"jsonrpc" is missing`},
		{"method not a string", `{"jsonrpc":"2.0","id":9,"method":7}`, -32600, "9", `"method" must be`},
		{"params a string", `{"jsonrpc":"2.0","id":10,"method":"ping","params":"x"}`, -32600, "10", `"params" must be an object`},
	}
	s := startRaw(t)
	s.initialize()
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s.t = t
			s.send(c.frame)
			id := fmt.Sprintf("after-%d", i)
			s.send(`{"jsonrpc":"2.0","id":"` + id + `","method":"tools/list"}`)
			bad := s.next()
			if bad.Error == nil || bad.Error.Code != c.code || string(bad.ID) != c.id || !strings.Contains(bad.Error.Message, c.says) {
				t.Errorf("reply to the bad frame: %.300s; want error %d for id %s saying %q", bad.raw, c.code, c.id, c.says)
			}
			if len(bad.raw) > 1000 {
				t.Errorf("the error is %d bytes long: it echoes the frame", len(bad.raw))
			}
			good := s.next()
			if string(good.ID) != `"`+id+`"` || good.Error != nil || !strings.Contains(string(good.Result), `"recommend"`) {
				t.Errorf("reply to the valid request after it: %.300s", good.raw)
			}
		})
	}
	// Blank lines are no frames: nothing answers them, and what follows is.
	s.t = t
	s.send("")
	s.send("   ")
	s.send(`{"jsonrpc":"2.0","id":"last","method":"ping"}`)
	if r := s.next(); string(r.ID) != `"last"` || r.Error != nil {
		t.Errorf("after blank lines: %s", r.raw)
	}
}

// connectStdio starts the built binary's MCP server and connects the SDK's
// client to it.
func connectStdio(t *testing.T, env []string, opts *mcp.ClientOptions, args ...string) (*mcp.ClientSession, *exec.Cmd) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	t.Cleanup(cancel)
	cmd := exec.CommandContext(ctx, binary, append([]string{"mcp"}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "cli-test", Version: "1"}, opts).Connect(ctx, &mcp.CommandTransport{Command: cmd}, nil)
	if err != nil {
		t.Fatalf("connect to agentic-eval mcp: %v", err)
	}
	t.Cleanup(func() { cs.Close() })
	return cs, cmd
}

func callTool(t *testing.T, cs *mcp.ClientSession, name string, args map[string]any) (*mcp.CallToolResult, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: name, Arguments: args})
	if err != nil {
		t.Fatalf("%s: protocol error %v", name, err)
	}
	b, _ := json.Marshal(res.StructuredContent)
	if res.IsError {
		var parts []string
		for _, c := range res.Content {
			if tc, ok := c.(*mcp.TextContent); ok {
				parts = append(parts, tc.Text)
			}
		}
		return res, strings.Join(parts, "\n")
	}
	return res, string(b)
}

// TestMCPEveryToolAnswersOverStdio calls every tool through the built
// binary with the SDK's client, checks each one's annotations against what
// it does, and a long argument comes back truncated in the error.
func TestMCPEveryToolAnswersOverStdio(t *testing.T) {
	dir := t.TempDir()
	fix, err := os.ReadFile(fixture)
	if err != nil {
		t.Fatal(err)
	}
	inside := filepath.Join(dir, "fixture.json")
	if err := os.WriteFile(inside, fix, 0o600); err != nil {
		t.Fatal(err)
	}
	cs, _ := connectStdio(t, nil, nil, "--results-dir", dir)
	tools, err := cs.ListTools(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]*mcp.Tool{}
	for _, tool := range tools.Tools {
		got[tool.Name] = tool
	}
	if _, ok := got["measure"]; ok || len(got) != 8 {
		t.Errorf("tools %v: want the eight read tools, and no measure without --allow-measure", slices.Sorted(mapsKeys(got)))
	}
	if d := got["doctor"]; d == nil || !strings.Contains(d.Description, "QEMU guest") || !strings.Contains(d.Description, "criu check") || !strings.Contains(d.Description, "20 s") || d.Meta["agentic-eval/long-running"] != true {
		t.Errorf("doctor must say it boots a QEMU guest for up to 20 s and runs criu check, and be long-running: %+v", d)
	}
	for name, tool := range got {
		a := tool.Annotations
		if a == nil || !a.ReadOnlyHint || a.DestructiveHint == nil || *a.DestructiveHint || a.OpenWorldHint == nil || *a.OpenWorldHint {
			t.Errorf("%s: annotations %+v: every listed tool only reads, destroys nothing and opens no network", name, a)
		}
		if _, ok := tool.Meta["agentic-eval/long-running"]; !ok {
			t.Errorf("%s: no long-running meta", name)
		}
	}
	for _, c := range []struct {
		tool string
		args map[string]any
		has  string
	}{
		{"list_systems", map[string]any{}, `"firecracker"`},
		{"show_system", map[string]any{"name": "fc"}, `"system":"firecracker"`},
		{"rank_systems", map[string]any{"preset": "dense-fleet"}, `"rank":1`},
		{"compare_systems", map[string]any{"a": "runsc", "b": "runc"}, `"fitness_delta"`},
		{"list_presets", map[string]any{}, `"untrusted-code"`},
		{"doctor", map[string]any{}, `"docker/runc"`},
		{"evaluate", map[string]any{"results_path": inside}, `"measured":true`},
		{"recommend", map[string]any{"workload": "untrusted-code", "what_if": true}, `"system":"cloud-hypervisor"`},
		{"recommend", map[string]any{"workload": "untrusted-code", "results_path": inside, "min_isolation": "userspace-kernel", "max_start_p50_ms": 1000, "require_snapshot": true}, `"passing":["qemu-kvm","gvisor"]`},
		{"recommend", map[string]any{"workload": "balanced", "max_start_p50_ms": 200}, `"verdict":"no system passes every constraint`},
		{"recommend", map[string]any{"workload": "balanced", "obtainable": false, "what_if": true}, `"verdict":"aethervm has no public release and cannot be had today`},
	} {
		t.Run(c.tool, func(t *testing.T) {
			res, out := callTool(t, cs, c.tool, c.args)
			if res.IsError || !strings.Contains(out, c.has) {
				t.Errorf("%s(%v): error %v, output lacks %s: %.600s", c.tool, c.args, res.IsError, c.has, out)
			}
		})
	}
	long := strings.Repeat("iron-", 60) // 300 bytes: under the argument cap, over the echo limit
	res, msg := callTool(t, cs, "recommend", map[string]any{"workload": "balanced", "min_isolation": long})
	if !res.IsError || strings.Contains(msg, long) || !strings.Contains(msg, "…") || !strings.Contains(msg, "shared-kernel < software-emulation < userspace-kernel") {
		t.Errorf("a 300-byte min_isolation: error %v, %q; want a tool error echoing it truncated, with the valid classes", res.IsError, msg)
	}
	res, msg = callTool(t, cs, "show_system", map[string]any{"name": strings.Repeat("v", 1<<20)})
	if !res.IsError || len(msg) > 300 {
		t.Errorf("a 1 MiB name: error %v, %d bytes of message", res.IsError, len(msg))
	}
	// The results file is a resource.
	rl, err := cs.ListResources(context.Background(), nil)
	if err != nil || len(rl.Resources) != 1 || rl.Resources[0].Name != "fixture.json" {
		t.Fatalf("resources: %+v, %v", rl, err)
	}
	rr, err := cs.ReadResource(context.Background(), &mcp.ReadResourceParams{URI: rl.Resources[0].URI})
	if err != nil || len(rr.Contents) != 1 || !strings.Contains(rr.Contents[0].Text, `"run_id": "fixture01"`) {
		t.Errorf("read %s: %v", rl.Resources[0].URI, err)
	}
	for _, uri := range []string{"file:///etc/passwd", "file://" + filepath.Join(dir, "nope.json"), "file:///proc/self/fd/0"} {
		if _, err := cs.ReadResource(context.Background(), &mcp.ReadResourceParams{URI: uri}); err == nil {
			t.Errorf("read %s: no error, want it refused", uri)
		}
	}
	if _, out := callTool(t, cs, "list_presets", map[string]any{}); !strings.Contains(out, "balanced") {
		t.Errorf("the session did not survive the refused reads: %s", out)
	}
}

func mapsKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// rssKiB reads a process's resident set.
func rssKiB(t *testing.T, pid int) int {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`VmRSS:\s+(\d+) kB`).FindSubmatch(b)
	if m == nil {
		t.Fatalf("no VmRSS in /proc/%d/status", pid)
	}
	n, _ := strconv.Atoi(string(m[1]))
	return n
}

// rapidCalls makes n calls and returns the sorted latencies.
func rapidCalls(t *testing.T, cs *mcp.ClientSession, n int) []time.Duration {
	t.Helper()
	var lat []time.Duration
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	for i := 0; i < n; i++ {
		t0 := time.Now()
		res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "rank_systems", Arguments: map[string]any{"preset": "interactive"}})
		lat = append(lat, time.Since(t0))
		if err != nil || res.IsError {
			t.Fatalf("call %d: %v %+v", i, err, res)
		}
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	return lat
}

func reportCalls(t *testing.T, how string, lat []time.Duration, wall time.Duration, before, after int) {
	t.Logf("%s: %d calls in %v (%.0f calls/s), p50 %v, p99 %v; server RSS %d KiB before, %d KiB after",
		how, len(lat), wall.Round(time.Millisecond), float64(len(lat))/wall.Seconds(),
		lat[len(lat)/2].Round(time.Microsecond), lat[len(lat)*99/100].Round(time.Microsecond), before, after)
}

// rssBoundKiB bounds the server's resident set after 1,000 calls: the
// server keeps nothing per call, so it stays near its start.
const rssBoundKiB = 128 << 10

// TestMCPThousandRapidCallsOverStdioKeepMemoryBounded makes 1,000 calls in
// a row and checks every one answered and the server's RSS stays bounded.
// Figures are logged, not asserted.
func TestMCPThousandRapidCallsOverStdioKeepMemoryBounded(t *testing.T) {
	cs, cmd := connectStdio(t, nil, nil)
	rapidCalls(t, cs, 50) // warm
	before := rssKiB(t, cmd.Process.Pid)
	t0 := time.Now()
	lat := rapidCalls(t, cs, 1000)
	wall := time.Since(t0)
	after := rssKiB(t, cmd.Process.Pid)
	if len(lat) != 1000 || after > rssBoundKiB {
		t.Errorf("%d calls answered, RSS %d KiB after (bound %d KiB)", len(lat), after, rssBoundKiB)
	}
	reportCalls(t, "stdio", lat, wall, before, after)
}

// httpServer starts `agentic-eval mcp --http 127.0.0.1:0` and returns its
// endpoint and the token it printed.
func httpServer(t *testing.T, args ...string) (endpoint, token string, cmd *exec.Cmd) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	t.Cleanup(cancel)
	cmd = exec.CommandContext(ctx, binary, append([]string{"mcp", "--http", "127.0.0.1:0"}, args...)...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		cmd.Wait()
	})
	sc := bufio.NewScanner(stderr)
	deadline := time.AfterFunc(20*time.Second, func() { cmd.Process.Kill() })
	defer deadline.Stop()
	for sc.Scan() {
		l := sc.Text()
		if m := regexp.MustCompile(`serving (http://\S+)`).FindStringSubmatch(l); m != nil {
			endpoint = m[1]
		}
		if m := regexp.MustCompile(`bearer token .*: ([0-9a-f]{64})$`).FindStringSubmatch(l); m != nil {
			token = m[1]
		}
		if endpoint != "" && (token != "" || slices.Contains(args, "--token-file")) {
			break
		}
	}
	if endpoint == "" {
		t.Fatal("the server never said where it serves")
	}
	go io.Copy(io.Discard, stderr)
	return endpoint, token, cmd
}

type bearer struct{ token string }

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.token)
	return http.DefaultTransport.RoundTrip(r)
}

func connectHTTP(t *testing.T, endpoint, token string) (*mcp.ClientSession, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	tr := &mcp.StreamableClientTransport{Endpoint: endpoint, HTTPClient: &http.Client{Transport: bearer{token}}, MaxRetries: -1}
	return mcp.NewClient(&mcp.Implementation{Name: "http-test", Version: "1"}, nil).Connect(ctx, tr, nil)
}

// TestMCPOverHTTPRequiresTheTokenOnEveryRequest serves the streamable HTTP
// transport from the built binary: without the token, or with another, every
// request is refused with 401; with it the SDK's client calls the tools,
// 1,000 times with memory bounded.
func TestMCPOverHTTPRequiresTheTokenOnEveryRequest(t *testing.T) {
	endpoint, token, cmd := httpServer(t)
	if token == "" {
		t.Fatal("no token printed")
	}
	init := `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}}`
	for _, c := range []struct {
		name, method, url, auth string
	}{
		{"no token", "POST", endpoint, ""},
		{"another token", "POST", endpoint, "Bearer " + strings.Repeat("0", 64)},
		{"the token as basic auth", "POST", endpoint, "Basic " + token},
		{"another path", "GET", strings.TrimSuffix(endpoint, "/mcp") + "/", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			req, _ := http.NewRequest(c.method, c.url, strings.NewReader(init))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Accept", "application/json, text/event-stream")
			if c.auth != "" {
				req.Header.Set("Authorization", c.auth)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusUnauthorized {
				t.Errorf("status %d, want 401", resp.StatusCode)
			}
		})
	}
	if _, err := connectHTTP(t, endpoint, "wrong-token-wrong-token"); err == nil {
		t.Error("the SDK's client connected with a wrong token")
	}
	cs, err := connectHTTP(t, endpoint, token)
	if err != nil {
		t.Fatalf("connect with the token: %v", err)
	}
	defer cs.Close()
	if _, out := callTool(t, cs, "recommend", map[string]any{"workload": "interactive"}); !strings.Contains(out, `"system":"firecracker"`) {
		t.Errorf("recommend over HTTP: %s", out)
	}
	rapidCalls(t, cs, 50)
	before := rssKiB(t, cmd.Process.Pid)
	t0 := time.Now()
	lat := rapidCalls(t, cs, 1000)
	wall := time.Since(t0)
	after := rssKiB(t, cmd.Process.Pid)
	if len(lat) != 1000 || after > rssBoundKiB {
		t.Errorf("%d calls answered, RSS %d KiB after (bound %d KiB)", len(lat), after, rssBoundKiB)
	}
	reportCalls(t, "http", lat, wall, before, after)
}

func TestMCPHTTPTokenFromAFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "token")
	tok := "a-token-from-a-file-0123456789"
	if err := os.WriteFile(path, []byte(tok+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	endpoint, printed, _ := httpServer(t, "--token-file", path)
	if printed != "" {
		t.Error("a token read from a file is printed")
	}
	cs, err := connectHTTP(t, endpoint, tok)
	if err != nil {
		t.Fatalf("connect with the file's token: %v", err)
	}
	cs.Close()
}

func TestMCPHTTPRefusesWhatItMustNot(t *testing.T) {
	dir := t.TempDir()
	open := filepath.Join(dir, "open-token")
	os.WriteFile(open, []byte("a-token-readable-by-everyone\n"), 0o644)
	short := filepath.Join(dir, "short-token")
	os.WriteFile(short, []byte("abc\n"), 0o600)
	for _, c := range []struct {
		name    string
		args    []string
		mention string
	}{
		{"every address", []string{"--http", "0.0.0.0:0"}, "not a loopback address"},
		{"a routable address", []string{"--http", "192.0.2.1:8765"}, "not a loopback address"},
		{"no port", []string{"--http", "127.0.0.1"}, "host:port"},
		{"a token file readable by others", []string{"--http", "127.0.0.1:0", "--token-file", open}, "chmod 600"},
		{"a short token", []string{"--http", "127.0.0.1:0", "--token-file", short}, "16 to 512"},
		{"a FIFO as token file", []string{"--http", "127.0.0.1:0", "--token-file", "/dev/ptmx"}, "not a regular file"},
		{"token file without --http", []string{"--token-file", short}, "need --http"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := runPromptly(t, append([]string{"mcp"}, c.args...)...)
			if r.code != 2 || strings.Count(r.stderr, "\n") != 1 || !strings.Contains(r.stderr, c.mention) {
				t.Errorf("exit %d, stderr %q; want 2 and one line mentioning %q", r.code, r.stderr, c.mention)
			}
			if strings.Contains(r.stderr, "a-token-readable") {
				t.Errorf("the error echoes the token file's content: %q", r.stderr)
			}
		})
	}
}

// TestMCPMeasureRunsAndCancelsARealMeasurement measures docker/runc through
// the built binary's measure tool (with --allow-measure): a short run
// writes a results file that is listed and read as a resource and feeds
// recommend; a long run cancelled mid-phase stops, and leaves no ae-<run>
// container, cgroup, scratch dir or ledger behind.
func TestMCPMeasureRunsAndCancelsARealMeasurement(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: runc containers and cgroups")
	}
	drv := runc.New()
	if fp := drv.Fingerprint(context.Background()); !fp.Available {
		t.Skipf("runc is not usable here: %s", fp.Reason)
	}
	resultsDir, state, scratch := t.TempDir(), t.TempDir(), t.TempDir()
	var mu sync.Mutex
	var progress []string
	opts := &mcp.ClientOptions{ProgressNotificationHandler: func(_ context.Context, r *mcp.ProgressNotificationClientRequest) {
		mu.Lock()
		progress = append(progress, r.Params.Message)
		mu.Unlock()
	}}
	cs, _ := connectStdio(t, []string{"AGENTIC_EVAL_STATE=" + state, "TMPDIR=" + scratch}, opts, "--allow-measure", "--results-dir", resultsDir)
	tools, err := cs.ListTools(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	var m *mcp.Tool
	for _, tool := range tools.Tools {
		if tool.Name == "measure" {
			m = tool
		}
	}
	if m == nil || m.Annotations.ReadOnlyHint || m.Annotations.IdempotentHint || m.Meta["agentic-eval/long-running"] != true {
		t.Fatalf("measure tool %+v: want it listed, not read-only, not idempotent, long-running", m)
	}
	for _, bad := range []map[string]any{
		{"variants": []string{"vmware"}},
		{"variants": []string{"docker/runc"}, "samples": 100000},
		{"variants": []string{"docker/runc"}, "phases": []string{"everything"}},
		{"variants": []string{}},
		{"variants": []string{"aethervm"}},
	} {
		if res, msg := callTool(t, cs, "measure", bad); !res.IsError || len(msg) > 600 {
			t.Errorf("measure(%v): error %v, %q", bad, res.IsError, msg)
		}
	}

	// A short run.
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	params := &mcp.CallToolParams{Name: "measure", Arguments: map[string]any{"variants": []string{"docker/runc"}, "samples": 3}}
	params.SetProgressToken("short")
	res, err := cs.CallTool(ctx, params)
	if err != nil || res.IsError {
		t.Fatalf("measure docker/runc: %v %+v", err, res)
	}
	var out struct {
		RunID, ResultsPath, ResourceURI string
		Interrupted                     bool
	}
	b, _ := json.Marshal(res.StructuredContent)
	json.Unmarshal(b, &struct {
		RunID       *string `json:"run_id"`
		ResultsPath *string `json:"results_path"`
		ResourceURI *string `json:"resource_uri"`
		Interrupted *bool   `json:"interrupted"`
	}{&out.RunID, &out.ResultsPath, &out.ResourceURI, &out.Interrupted})
	if out.RunID == "" || filepath.Dir(out.ResultsPath) != resultsDir || out.Interrupted {
		t.Fatalf("measure answered %s", b)
	}
	mu.Lock()
	got := strings.Join(progress, "\n")
	mu.Unlock()
	if !strings.Contains(got, "docker/runc start-latency") || !strings.Contains(got, "run "+out.RunID+" started") {
		t.Errorf("progress notifications %q lack the run and its phase", got)
	}
	rr, err := cs.ReadResource(ctx, &mcp.ReadResourceParams{URI: out.ResourceURI})
	if err != nil || !strings.Contains(rr.Contents[0].Text, out.RunID) {
		t.Errorf("read the run's resource: %v", err)
	}
	if _, rec := callTool(t, cs, "recommend", map[string]any{"workload": "interactive", "results_path": out.ResultsPath, "require_runnable": true}); !strings.Contains(rec, `"passing":["docker"]`) {
		t.Errorf("recommend with the run and require_runnable: %.500s", rec)
	}
	assertNothingLeft(t, drv, out.RunID, state, scratch)

	// A long run, cancelled once it is sampling.
	mu.Lock()
	progress = nil
	mu.Unlock()
	cctx, ccancel := context.WithCancel(ctx)
	params = &mcp.CallToolParams{Name: "measure", Arguments: map[string]any{"variants": []string{"docker/runc"}, "samples": 200, "phases": []string{"start-latency", "density"}}}
	params.SetProgressToken("long")
	done := make(chan error, 1)
	go func() {
		_, err := cs.CallTool(cctx, params)
		done <- err
	}()
	var runID string
	started := regexp.MustCompile(`run ([0-9a-f]+) started`)
	sampling := regexp.MustCompile(`start-latency ([0-9]+)/`)
	for deadline := time.Now().Add(2 * time.Minute); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		mu.Lock()
		all := strings.Join(progress, "\n")
		mu.Unlock()
		if m := started.FindStringSubmatch(all); m != nil {
			runID = m[1]
		}
		if ms := sampling.FindAllStringSubmatch(all, -1); runID != "" && len(ms) > 0 {
			if n, _ := strconv.Atoi(ms[len(ms)-1][1]); n >= 5 {
				break
			}
		}
	}
	if runID == "" {
		t.Fatal("the long run never reported sampling")
	}
	t0 := time.Now()
	ccancel()
	if err := <-done; err == nil {
		t.Error("the cancelled call returned no error")
	}
	// The server stops the runner and cleans up; then it writes the
	// partial results, which is the sign the run has ended.
	partial := filepath.Join(resultsDir, "agentic-eval-results-"+runID+".json")
	for time.Now().Before(t0.Add(90 * time.Second)) {
		if _, err := os.Stat(partial); err == nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	took := time.Since(t0)
	r, err := results.ReadResultsFile(partial)
	if err != nil {
		t.Fatalf("the cancelled run's partial results: %v", err)
	}
	if !r.Interrupted {
		t.Error("the cancelled run's results do not say it was interrupted")
	}
	assertNothingLeft(t, drv, runID, state, scratch)
	t.Logf("run %s cancelled after %d progress messages; stopped and cleaned up within %v", runID, len(progress), took.Round(time.Millisecond))
	// The server takes the next measurement: the cancelled one let go.
	if res, msg := callTool(t, cs, "measure", map[string]any{"variants": []string{"docker/runc"}, "samples": 1, "phases": []string{"isolation"}}); res.IsError {
		t.Errorf("a measurement after the cancelled one: %s", msg)
	}
}

// TestMCPClientGoneMidMeasurementLeavesNothing closes the server's stdin
// (the SDK's own client would wait for the call first), or sends it
// SIGTERM, while a real runc measurement runs: the server cancels the run,
// removes what it made, writes the partial results and exits.
func TestMCPClientGoneMidMeasurementLeavesNothing(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: runc containers and cgroups")
	}
	drv := runc.New()
	if fp := drv.Fingerprint(context.Background()); !fp.Available {
		t.Skipf("runc is not usable here: %s", fp.Reason)
	}
	for _, how := range []string{"stdin closed", "SIGTERM"} {
		t.Run(how, func(t *testing.T) { serverGoneMidMeasurement(t, drv, how) })
	}
}

func serverGoneMidMeasurement(t *testing.T, drv driver.Reaper, how string) {
	resultsDir, state, scratch := t.TempDir(), t.TempDir(), t.TempDir()
	s := startRawEnv(t, []string{"AGENTIC_EVAL_STATE=" + state, "TMPDIR=" + scratch}, "--allow-measure", "--results-dir", resultsDir)
	s.initialize()
	s.send(`{"jsonrpc":"2.0","id":"m","method":"tools/call","params":{"name":"measure","arguments":{"variants":["docker/runc"],"samples":200},"_meta":{"progressToken":"gone"}}}`)
	var runID string
	started := regexp.MustCompile(`run ([0-9a-f]+) started`)
	for runID == "" {
		r := s.next()
		if r.Error != nil || string(r.ID) == `"m"` {
			t.Fatalf("measure answered before it started: %.300s", r.raw)
		}
		if m := started.FindStringSubmatch(r.raw); m != nil {
			runID = m[1]
		}
	}
	time.Sleep(300 * time.Millisecond) // sampling: sandboxes coming and going
	t0 := time.Now()
	if how == "SIGTERM" {
		s.cmd.Process.Signal(syscall.SIGTERM)
	} else {
		s.in.Close()
	}
	for range s.lines { // stdout closes when the server exits
	}
	took := time.Since(t0)
	r, err := results.ReadResultsFile(filepath.Join(resultsDir, "agentic-eval-results-"+runID+".json"))
	if err != nil {
		t.Fatalf("the run's partial results: %v", err)
	}
	if !r.Interrupted {
		t.Error("the run's results do not say it was interrupted: it was not cancelled when the client left")
	}
	n := 0
	if l := r.Systems[0].StartLatency; l != nil {
		n = l.Summary.N
	}
	t.Logf("%s mid-run %s (%d samples taken): the server cleaned up and exited within %v", how, runID, n, took.Round(time.Millisecond))
	assertNothingLeft(t, drv, runID, state, scratch)
}

func assertNothingLeft(t *testing.T, drv driver.Reaper, runID, state, scratch string) {
	t.Helper()
	prefix := "ae-" + runID
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	left, err := drv.Leftovers(ctx, prefix)
	if err != nil {
		t.Fatal(err)
	}
	if len(left) > 0 {
		t.Errorf("run %s left %v", runID, left)
		drv.Reap(ctx, prefix)
	}
	if ents, _ := os.ReadDir(filepath.Join(state, "runs")); len(ents) != 0 {
		t.Errorf("run %s left %d ledger entries", runID, len(ents))
	}
	if m, _ := filepath.Glob(filepath.Join(scratch, prefix+"*")); len(m) != 0 {
		t.Errorf("run %s left %v", runID, m)
	}
}
