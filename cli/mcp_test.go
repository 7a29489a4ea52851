package cli_test

import (
	"context"
	"encoding/json"
	"os/exec"
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
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "recommend", Arguments: map[string]any{"workload": "untrusted-code"}})
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
	if out.System != "aethervm" || len(out.Reasons) == 0 {
		t.Errorf("recommend untrusted-code: %s with %d reasons, want the curated leader aethervm with reasons", out.System, len(out.Reasons))
	}
	bad, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "show_system", Arguments: map[string]any{"name": "vmware"}})
	if err != nil || !bad.IsError {
		t.Errorf("show_system vmware: err %v, result %+v: want a tool error", err, bad)
	}
}
