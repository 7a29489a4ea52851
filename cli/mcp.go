package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/agentic-eval/agentic-eval/mcpserver"
	"github.com/agentic-eval/agentic-eval/results"
)

// The MCP server registers under `vms` until the root command offers a
// registration hook of its own; see mcpCmd.
func init() { registerRoot((*App).mcpCmd) }

func (a *App) mcpCmd() *cobra.Command {
	var (
		dirs             []string
		allowMeasure     bool
		httpAddr         string
		allowNonLoopback bool
		tokenFile        string
	)
	cmd := &cobra.Command{
		Use:   "mcp",
		Short: "Serve the catalog, evaluations and recommendations to agents over MCP (stdio, or HTTP on loopback)",
		Long: `Run an MCP (Model Context Protocol) server on stdin and stdout, so that an agent can
choose its own sandbox system: tools list_systems, show_system, rank_systems,
compare_systems, list_presets, doctor, evaluate and recommend, each with typed input
and output schemas, and the results files of --results-dir as resources. The tools
only read, except doctor, which runs the runtimes' version commands, criu check, and
where KVM looks usable a QEMU trial boot of up to 20 s. It stops when the client
closes stdin. Every malformed frame (not JSON, a batch, a bad id, two messages on one
line, nested deeper than 64 levels or longer than 4 MiB) is answered with its JSON-RPC
error (-32700 or -32600) and the session goes on.

With --allow-measure the server also offers the measure tool: a cancellable run of
the measurement harness (as vms measure, with capped counts) that reports progress
and writes its results file into the first --results-dir. Without it the tool is not
listed.

With --http HOST:PORT the server speaks MCP's streamable HTTP transport at
http://HOST:PORT/mcp instead of stdio, on a loopback address only (unless
--http-allow-non-loopback), and every request must carry "Authorization: Bearer
TOKEN": the token is read from --token-file (a regular file of mode 600) or
generated at start and printed once on stderr.

A results_path is read only from the --results-dir directories (the working
directory unless given), symlinks resolved, and only if it is a regular file of
at most 64 MiB holding one results document.

Register it with an MCP client as the command: agentic-eval mcp`,
		Args: noArgs(),
		RunE: func(cmd *cobra.Command, args []string) error {
			roots, err := results.ResolveDirs(dirs)
			if err != nil {
				return usagef("--results-dir: %v", err)
			}
			opts := mcpserver.Options{ResultsDirs: roots, AllowMeasure: allowMeasure}
			if httpAddr == "" {
				if allowNonLoopback || tokenFile != "" {
					return usagef("--http-allow-non-loopback and --token-file need --http HOST:PORT")
				}
				t := &mcpserver.StdioTransport{In: cmd.InOrStdin(), Out: a.stdout}
				return mcpserver.Serve(cmd.Context(), t, opts)
			}
			if err := mcpserver.CheckListenAddr(httpAddr, allowNonLoopback); err != nil {
				return usagef("--http: %v", err)
			}
			token, generated := "", false
			if tokenFile != "" {
				if token, err = mcpserver.ReadTokenFile(tokenFile); err != nil {
					return usagef("--token-file: %v", err)
				}
			} else {
				if token, err = mcpserver.NewToken(); err != nil {
					return err
				}
				generated = true
			}
			return mcpserver.ServeHTTP(cmd.Context(), mcpserver.HTTPOptions{
				Addr: httpAddr, AllowNonLoopback: allowNonLoopback, Token: token,
				Ready: func(addr string) {
					fmt.Fprintf(a.stderr, "agentic-eval mcp: serving http://%s%s\n", addr, mcpserver.HTTPPath)
					if generated {
						fmt.Fprintf(a.stderr, "agentic-eval mcp: bearer token (send as Authorization: Bearer TOKEN): %s\n", token)
					}
				},
			}, opts)
		},
	}
	fl := cmd.Flags()
	fl.StringArrayVar(&dirs, "results-dir", []string{"."}, "read results files only from `DIR` (repeatable; default the working directory); the measure tool writes into the first")
	fl.BoolVar(&allowMeasure, "allow-measure", false, "offer the measure tool, which runs real sandboxes on this host (one measurement at a time, cancellable)")
	fl.StringVar(&httpAddr, "http", "", "serve the streamable HTTP transport on `HOST:PORT` (loopback only) instead of stdio")
	fl.BoolVar(&allowNonLoopback, "http-allow-non-loopback", false, "let --http listen on an address that is not loopback (the token is still required)")
	fl.StringVar(&tokenFile, "token-file", "", "read the bearer token from `FILE` (mode 600) instead of generating one")
	return cmd
}
