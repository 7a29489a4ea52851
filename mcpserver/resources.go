package mcpserver

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/agentic-eval/agentic-eval/results"
)

// Results files as MCP resources: every *.json file directly inside the
// server's results directories is listed (rescanned on each list), and
// read through the same safe reader as the tools' results_path, so a
// resource is only ever a results document, never another file's content.

// MaxListedResults caps how many files a list names.
const MaxListedResults = 500

// resultsURITemplate matches any file URI; the reader decides what may be
// read.
const resultsURITemplate = "file:///{+path}"

type resultResources struct {
	s    *mcp.Server
	dirs []string
	mu   sync.Mutex
	have map[string]bool // URIs registered
}

func addResultResources(s *mcp.Server, dirs []string) *resultResources {
	abs := make([]string, 0, len(dirs))
	for _, d := range dirs {
		if a, err := filepath.Abs(d); err == nil {
			abs = append(abs, a)
		}
	}
	rr := &resultResources{s: s, dirs: abs, have: map[string]bool{}}
	s.AddResourceTemplate(&mcp.ResourceTemplate{
		Name: "results", URITemplate: resultsURITemplate, MIMEType: "application/json",
		Description: "a results file (agentic-eval/results/v1) inside the server's results directories, as file:///ABSOLUTE/PATH",
	}, rr.read)
	rr.sync()
	s.AddReceivingMiddleware(func(next mcp.MethodHandler) mcp.MethodHandler {
		return func(ctx context.Context, method string, req mcp.Request) (mcp.Result, error) {
			if method == "resources/list" {
				rr.sync()
			}
			return next(ctx, method, req)
		}
	})
	return rr
}

// sync registers the results files found now and drops those gone.
func (rr *resultResources) sync() {
	rr.mu.Lock()
	defer rr.mu.Unlock()
	found := map[string]*mcp.Resource{}
	for _, dir := range rr.dirs {
		ents, err := os.ReadDir(dir)
		if err != nil {
			continue
		}
		for _, e := range ents {
			if len(found) >= MaxListedResults {
				break
			}
			if !e.Type().IsRegular() || !strings.HasSuffix(e.Name(), ".json") || strings.HasPrefix(e.Name(), ".") {
				continue
			}
			path := filepath.Join(dir, e.Name())
			info, err := e.Info()
			if err != nil {
				continue
			}
			size := info.Size()
			uri := fileURI(path)
			found[uri] = &mcp.Resource{
				URI: uri, Name: e.Name(), MIMEType: "application/json", Size: size,
				Description: fmt.Sprintf("a JSON file in results directory %s; read it to get the results document (refused unless it is one)", dir),
			}
		}
	}
	var gone []string
	for uri := range rr.have {
		if found[uri] == nil {
			gone = append(gone, uri)
			delete(rr.have, uri)
		}
	}
	if len(gone) > 0 {
		rr.s.RemoveResources(gone...)
	}
	uris := make([]string, 0, len(found))
	for uri := range found {
		uris = append(uris, uri)
	}
	sort.Strings(uris)
	for _, uri := range uris {
		if !rr.have[uri] {
			rr.have[uri] = true
			rr.s.AddResource(found[uri], rr.read)
		}
	}
}

// read returns one results document, re-encoded: the reader checked it is
// a regular file inside the directories, under the size cap, of the
// results schema.
func (rr *resultResources) read(ctx context.Context, req *mcp.ReadResourceRequest) (*mcp.ReadResourceResult, error) {
	uri := req.Params.URI
	u, err := url.Parse(uri)
	if err != nil || u.Scheme != "file" || (u.Host != "" && u.Host != "localhost") || !filepath.IsAbs(u.Path) {
		return nil, fmt.Errorf("resource %s: want file:///ABSOLUTE/PATH of a results file in the server's results directories", shortQuote(uri))
	}
	res, err := results.ReadResultsFileIn(u.Path, rr.dirs)
	if err != nil {
		return nil, fmt.Errorf("resource %s: %w", shortQuote(uri), err)
	}
	b, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("resource %s: encode: %w", shortQuote(uri), err)
	}
	return &mcp.ReadResourceResult{Contents: []*mcp.ResourceContents{{URI: uri, MIMEType: "application/json", Text: string(b)}}}, nil
}

func fileURI(path string) string {
	return (&url.URL{Scheme: "file", Path: path}).String()
}
