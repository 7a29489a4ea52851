package cli_test

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// TestMCPServesTheToolsOverStdio drives the built binary's MCP server with a
// real SDK client over its stdin and stdout.
func TestMCPServesTheToolsOverStdio(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	client := mcp.NewClient(&mcp.Implementation{Name: "cli-test", Version: "1"}, nil)
	cs, err := client.Connect(ctx, &mcp.CommandTransport{Command: exec.CommandContext(ctx, binary, "mcp")}, nil)
	if err != nil {
		t.Fatalf("connect to agentic-eval mcp: %v", err)
	}
	defer cs.Close()
	if got := cs.InitializeResult().ServerInfo.Name; got != "agentic-eval" {
		t.Errorf("server name %q", got)
	}
	tools, err := cs.ListTools(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(tools.Tools) != 8 {
		t.Errorf("%d tools, want 8", len(tools.Tools))
	}
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "recommend", Arguments: map[string]any{"workload": "untrusted-code", "what_if": true}})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(res.StructuredContent)
	var out struct {
		System  string   `json:"system"`
		Reasons []string `json:"reasons"`
	}
	if err := json.Unmarshal(b, &out); err != nil || res.IsError {
		t.Fatalf("recommend: error %v, result %s", err, b)
	}
	if out.System != "cloud-hypervisor" || len(out.Reasons) == 0 {
		t.Errorf("recommend untrusted-code: %s with %d reasons, want cloud-hypervisor, the curated leader that can be had (tied with firecracker's published bounds), with reasons", out.System, len(out.Reasons))
	}
	bad, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "show_system", Arguments: map[string]any{"name": "vmware"}})
	if err != nil || !bad.IsError {
		t.Errorf("show_system vmware: err %v, result %+v: want a tool error", err, bad)
	}
}

// Over stdio, results_path is read only from --results-dir: the server's
// own stdin is refused (it would eat the JSON-RPC stream) and the session
// goes on; a results file inside the directory is read.
func TestMCPReadsResultsOnlyFromItsResultsDirs(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	dir := t.TempDir()
	fix, err := os.ReadFile("../report/testdata/results-fixture.json")
	if err != nil {
		t.Fatal(err)
	}
	inside := filepath.Join(dir, "r.json")
	if err := os.WriteFile(inside, fix, 0o600); err != nil {
		t.Fatal(err)
	}
	client := mcp.NewClient(&mcp.Implementation{Name: "cli-test", Version: "1"}, nil)
	cs, err := client.Connect(ctx, &mcp.CommandTransport{Command: exec.CommandContext(ctx, binary, "mcp", "--results-dir", dir)}, nil)
	if err != nil {
		t.Fatalf("connect to agentic-eval mcp: %v", err)
	}
	defer cs.Close()
	for _, c := range []struct {
		path    string
		wantErr bool
	}{
		{"/proc/self/fd/0", true},
		{"/dev/ptmx", true},
		{"../report/testdata/results-fixture.json", true}, // outside dir
		{inside, false},
	} {
		t.Run(filepath.Base(c.path), func(t *testing.T) {
			cctx, ccancel := context.WithTimeout(ctx, 10*time.Second)
			defer ccancel()
			res, err := cs.CallTool(cctx, &mcp.CallToolParams{Name: "evaluate", Arguments: map[string]any{"results_path": c.path}})
			if err != nil {
				t.Fatalf("evaluate %s: protocol error %v", c.path, err)
			}
			if res.IsError != c.wantErr {
				b, _ := json.Marshal(res.Content)
				t.Errorf("evaluate %s: error %v, want %v: %s", c.path, res.IsError, c.wantErr, b)
			}
		})
	}
}
