package cli

import (
	"github.com/spf13/cobra"

	"github.com/agentic-eval/agentic-eval/vms"
)

// vmsSubcommands are the constructors of the `vms` subcommands, added by each
// file's init through registerVMS (see the package documentation).
var vmsSubcommands []func(*App) *cobra.Command

// registerVMS adds a `vms` subcommand. Call it from an init function.
func registerVMS(ctor func(*App) *cobra.Command) {
	vmsSubcommands = append(vmsSubcommands, ctor)
}

// rootSubcommands are top-level commands beside `vms`, added through
// registerRoot.
var rootSubcommands []func(*App) *cobra.Command

// registerRoot adds a top-level command. Call it from an init function.
func registerRoot(ctor func(*App) *cobra.Command) {
	rootSubcommands = append(rootSubcommands, ctor)
}

// vmsCmd is the `vms` parent: it owns the persistent --format flag and holds
// every registered subcommand.
func (a *App) vmsCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "vms",
		Short: "The catalog of VM and sandbox systems: list, show, rank, compare",
		Long: `The curated catalog of seven VM and sandbox systems, scored 0.00 to 1.00 on five
agent-native axes, with the evidence behind every score.

Axes:
` + axisHelp() + `
Every subcommand prints text, JSON or a markdown table (--format).`,
		Args: subcommandArgs(),
		RunE: helpRunE,
	}
	cmd.PersistentFlags().Var(&a.out, "format", "output `FORMAT`: "+formatNames())
	for _, ctor := range vmsSubcommands {
		cmd.AddCommand(ctor(a))
	}
	return cmd
}

func axisHelp() string {
	var s string
	for _, ax := range vms.Axes() {
		s += "  " + ax.Name() + ": " + ax.Meaning() + "\n"
	}
	return s
}

// parseSystem parses a system name given on the command line; an unknown
// name is a usage error.
func parseSystem(arg string) (vms.System, error) {
	s, err := vms.Parse(arg)
	return s, asUsage(err)
}
