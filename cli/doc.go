// Package cli is the agentic-eval command line: a cobra command tree whose
// `vms` command groups everything about VM and sandbox systems.
//
// Its opinion: a command line is an interface with a contract. Every command
// prints the same facts as text, JSON or a markdown table (the persistent
// --format flag on `vms`), and every mistake a user can make (an unknown
// system, preset, weight or format, a wrong number of arguments, an unknown
// flag or subcommand) ends with exactly one line on stderr that says what was
// wrong and what is valid, and exit status 2. Other failures exit 1. No
// usage dump on error, never a panic or a trace.
//
// # Adding a `vms` subcommand
//
// Each subcommand lives in its own file and registers a constructor in an
// init function; the `vms` parent (vms.go) adds every registered constructor's
// command, so files never edit each other:
//
//	func init() { registerVMS((*App).doctorCmd) }
//
//	func (a *App) doctorCmd() *cobra.Command {
//		return &cobra.Command{
//			Use:   "doctor",
//			Short: "Say which drivers can run on this host, and why not",
//			Args:  noArgs(),
//			RunE: func(cmd *cobra.Command, args []string) error {
//				t := NewTable("SYSTEM", "STATUS")
//				...
//				return a.emit(cmd, Output{Table: t, JSON: rows})
//			},
//		}
//	}
//
// The helpers a subcommand uses:
//   - a.emit(cmd, Output{...}) writes the result in the format the user chose
//     (Output.Text/Output.Markdown for free-form output, Output.Table for a
//     table rendered in both, Output.JSON for the value encoded as JSON).
//   - a.format() is the chosen Format, for commands that need it directly.
//   - usagef(...) and asUsage(err) mark an error as the user's mistake (exit
//     2); any other error returned from RunE exits 1. Either way the error is
//     printed once, on one line, prefixed with the command path.
//   - noArgs(), exactArgs(n, what), rangeArgs(min, max, what) validate
//     positional arguments with usage errors.
//   - parseSystem(arg) parses a system name as a usage error on failure;
//     weightFlags (catalog.go) adds --weights/--preset to a command.
//   - cmd.Context() is cancelled on SIGINT/SIGTERM (see cmd/agentic-eval),
//     so long-running commands clean up and return.
//   - a.stdout and a.stderr are the streams; never write to os.Stdout.
package cli
