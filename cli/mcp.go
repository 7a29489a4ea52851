package cli

import (
	"io"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/spf13/cobra"

	"github.com/agentic-eval/agentic-eval/internal/resultsfile"
	"github.com/agentic-eval/agentic-eval/mcpserver"
)

// The MCP server registers under `vms` until the root command offers a
// registration hook of its own; see mcpCmd.
func init() { registerRoot((*App).mcpCmd) }

func (a *App) mcpCmd() *cobra.Command {
	var dirs []string
	cmd := &cobra.Command{
		Use:   "mcp",
		Short: "Serve the catalog, evaluations and recommendations to agents over MCP (stdio)",
		Long: `Run an MCP (Model Context Protocol) server on stdin and stdout, so that an agent can
choose its own sandbox system: tools list_systems, show_system, rank_systems,
compare_systems, list_presets, doctor, evaluate and recommend, each with typed input
and output schemas. The server only reads the catalog, driver fingerprints and saved
results files; it never starts a measurement (run ` + "`agentic-eval vms measure`" + ` and give
the results file to evaluate or recommend). It stops when the client closes stdin.

A results_path is read only from the --results-dir directories (the working
directory unless given), symlinks resolved, and only if it is a regular file of
at most 64 MiB holding one results document.

Register it with an MCP client as the command: agentic-eval mcp`,
		Args: noArgs(),
		RunE: func(cmd *cobra.Command, args []string) error {
			roots, err := resultsfile.ResolveDirs(dirs)
			if err != nil {
				return usagef("--results-dir: %v", err)
			}
			t := &mcp.IOTransport{Reader: io.NopCloser(cmd.InOrStdin()), Writer: nopWriteCloser{a.stdout}}
			return mcpserver.Serve(cmd.Context(), t, mcpserver.Options{ResultsDirs: roots})
		},
	}
	cmd.Flags().StringArrayVar(&dirs, "results-dir", []string{"."}, "read results files only from `DIR` (repeatable; default the working directory)")
	return cmd
}

// nopWriteCloser keeps the transport from closing the App's stdout.
type nopWriteCloser struct{ io.Writer }

func (nopWriteCloser) Close() error { return nil }
