package mcpserver

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/agentic-eval/agentic-eval/results"
)

// MaxArgumentBytes caps every string in a tool's arguments (values and
// object keys): a path is at most 4096 bytes on Linux, and no name or
// workload comes near.
const MaxArgumentBytes = 4096

// limitArguments refuses a tool call whose arguments hold a string longer
// than MaxArgumentBytes, naming the argument, not its value; and in the
// error of any other call it shortens every argument echoed (by this
// server's tools or by the SDK's validation) to a short quoted form, so an
// error never carries a large argument back whole.
func limitArguments() mcp.Middleware {
	return func(next mcp.MethodHandler) mcp.MethodHandler {
		return func(ctx context.Context, method string, req mcp.Request) (mcp.Result, error) {
			call, ok := req.(*mcp.CallToolRequest)
			if method != "tools/call" || !ok || call.Params == nil || len(call.Params.Arguments) == 0 {
				return next(ctx, method, req)
			}
			var args any
			if err := json.Unmarshal(call.Params.Arguments, &args); err != nil {
				return next(ctx, method, req) // the SDK reports malformed arguments
			}
			var long []string
			var over string
			walkStrings("", args, func(where, s string) {
				if len(s) > MaxArgumentBytes && over == "" {
					over = fmt.Sprintf("argument %s is %d bytes long: the limit is %d bytes", where, len(s), MaxArgumentBytes)
				}
				if utf8.RuneCountInString(s) > 80 {
					long = append(long, s)
				}
			})
			if over != "" {
				return &mcp.CallToolResult{IsError: true, Content: []mcp.Content{&mcp.TextContent{Text: over}}}, nil
			}
			res, err := next(ctx, method, req)
			ctr, ok := res.(*mcp.CallToolResult)
			if err != nil || !ok || !ctr.IsError || len(long) == 0 {
				return res, err
			}
			// Longest first, so a string's prefix never spoils its own
			// replacement.
			sort.Slice(long, func(i, j int) bool { return len(long[i]) > len(long[j]) })
			for _, c := range ctr.Content {
				if tc, ok := c.(*mcp.TextContent); ok {
					tc.Text = shortenEchoes(tc.Text, long)
				}
			}
			return res, err
		}
	}
}

// walkStrings calls f on every string value and object key in v, with
// where naming it ("results_path", "weights.<key>").
func walkStrings(where string, v any, f func(where, s string)) {
	name := func(k string) string {
		k = results.Shorten(k)
		if where == "" {
			return k
		}
		return where + "." + k
	}
	switch x := v.(type) {
	case string:
		f(where, x)
	case map[string]any:
		for k, e := range x {
			f(strings.TrimSpace(where+" (an object key)"), k)
			walkStrings(name(k), e, f)
		}
	case []any:
		for i, e := range x {
			walkStrings(fmt.Sprintf("%s[%d]", where, i), e, f)
		}
	}
}

// shortenEchoes replaces each long argument in msg, quoted or bare, by its
// shortened quoted form.
func shortenEchoes(msg string, long []string) string {
	for _, s := range long {
		short := results.Shorten(s)
		msg = strings.ReplaceAll(msg, strconv.Quote(s), short)
		if b, err := json.Marshal(s); err == nil {
			msg = strings.ReplaceAll(msg, string(b), short)
		}
		msg = strings.ReplaceAll(msg, s, short)
	}
	return msg
}
