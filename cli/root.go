package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// Exit statuses of Run.
const (
	ExitOK      = 0 // the command did what was asked
	ExitFailure = 1 // something went wrong while doing it
	ExitUsage   = 2 // the command line itself was wrong
)

// UsageError marks an error as the user's mistake on the command line
// (unknown name, bad flag value, wrong argument count): exit status 2.
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

// usagef returns a UsageError with a formatted message.
func usagef(format string, args ...any) error {
	return &UsageError{Err: fmt.Errorf(format, args...)}
}

// asUsage marks err as a usage error; nil stays nil.
func asUsage(err error) error {
	if err == nil {
		return nil
	}
	var ue *UsageError
	if errors.As(err, &ue) {
		return err
	}
	return &UsageError{Err: err}
}

// App holds the streams and the flag values shared by the command tree.
type App struct {
	stdout, stderr io.Writer
	out            Format // bound to the persistent --format flag on vms
}

// NewApp returns an App that writes results to stdout and errors to stderr.
func NewApp(stdout, stderr io.Writer) *App {
	return &App{stdout: stdout, stderr: stderr, out: FormatText}
}

// Run executes the command line args (without the program name) and returns
// the exit status. An error is printed as exactly one line on stderr.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) (code int) {
	a := NewApp(stdout, stderr)
	root := a.rootCmd()
	root.SetArgs(args)
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(stderr, "agentic-eval: internal error: %s\n", oneLine(fmt.Sprint(r)))
			code = ExitFailure
		}
	}()
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return ExitOK
	}
	path := root.Name()
	if cmd != nil {
		path = cmd.CommandPath()
	}
	fmt.Fprintf(stderr, "%s: %s\n", path, oneLine(err.Error()))
	var ue *UsageError
	if errors.As(err, &ue) {
		return ExitUsage
	}
	return ExitFailure
}

// oneLine folds a message onto a single line.
func oneLine(s string) string {
	s = strings.TrimSpace(s)
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", "; ")), " ")
}

func (a *App) rootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "agentic-eval",
		Short: "Rate VM and sandbox systems for agent workloads",
		Long: `agentic-eval rates VM and sandbox systems for the workload of an agent runtime:
a fleet of short-lived, isolated sandboxes, one per tool call, spawned and torn down
all the time. Systems are scored on five axes: start-latency, density, isolation,
snapshotting and agent-control.`,
		Args:          subcommandArgs(),
		RunE:          helpRunE,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(a.stdout)
	root.SetErr(a.stderr)
	root.SetFlagErrorFunc(flagError)
	root.CompletionOptions.HiddenDefaultCmd = true
	root.SetHelpCommand(helpCmd(root))
	root.AddCommand(a.vmsCmd())
	for _, ctor := range rootSubcommands {
		root.AddCommand(ctor(a))
	}
	return root
}

// flagError makes a flag parsing error a usage error and, for an unknown
// flag, lists the flags the command accepts.
func flagError(c *cobra.Command, err error) error {
	msg := err.Error()
	if strings.HasPrefix(msg, "unknown flag") || strings.HasPrefix(msg, "unknown shorthand flag") {
		var names []string
		c.Flags().VisitAll(func(f *pflag.Flag) {
			if !f.Hidden {
				names = append(names, "--"+f.Name)
			}
		})
		c.InheritedFlags().VisitAll(func(f *pflag.Flag) {
			if !f.Hidden && !slices.Contains(names, "--"+f.Name) {
				names = append(names, "--"+f.Name)
			}
		})
		sort.Strings(names)
		return usagef("%s: valid flags are %s", msg, strings.Join(names, ", "))
	}
	if name, ok := strings.CutPrefix(msg, "flag needs an argument: --"); ok {
		if f := c.Flags().Lookup(name); f != nil {
			return usagef("%s: %s", msg, strings.ReplaceAll(f.Usage, "`", ""))
		}
	}
	return asUsage(err)
}

// helpRunE is the action of a command that only groups subcommands: without
// arguments it prints its help.
func helpRunE(cmd *cobra.Command, args []string) error { return cmd.Help() }

// subcommandArgs rejects positional arguments on a command that only groups
// subcommands, so that a mistyped subcommand is an error, not a help page.
func subcommandArgs() cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) == 0 {
			return nil
		}
		return unknownCommand(cmd, args[0])
	}
}

// unknownCommand is the usage error for a name that is not a subcommand of
// cmd: it lists the valid ones and suggests the nearest.
func unknownCommand(cmd *cobra.Command, name string) error {
	var names []string
	for _, c := range cmd.Commands() {
		if c.IsAvailableCommand() {
			names = append(names, c.Name())
		}
	}
	msg := fmt.Sprintf("unknown command %q: valid commands are %s", name, strings.Join(names, ", "))
	if s := cmd.SuggestionsFor(name); len(s) > 0 {
		msg += fmt.Sprintf("; did you mean %q?", s[0])
	}
	return usagef("%s", msg)
}

// helpCmd replaces cobra's help command, which prints the root's help and
// exits 0 for an unknown topic: here that is a usage error.
func helpCmd(root *cobra.Command) *cobra.Command {
	return &cobra.Command{
		Use:   "help [command]",
		Short: "Help about any command",
		RunE: func(c *cobra.Command, args []string) error {
			cmd, rest, err := root.Find(args)
			if err != nil {
				return asUsage(err)
			}
			if len(rest) > 0 {
				return unknownCommand(cmd, rest[0])
			}
			return cmd.Help()
		},
	}
}

// noArgs accepts no positional arguments.
func noArgs() cobra.PositionalArgs { return rangeArgs(0, 0, "no arguments") }

// exactArgs accepts exactly n positional arguments; what names them for
// the error, e.g. "one system name".
func exactArgs(n int, what string) cobra.PositionalArgs { return rangeArgs(n, n, what) }

// minArgs accepts n or more positional arguments, up to maxFiles.
func minArgs(n int, what string) cobra.PositionalArgs { return rangeArgs(n, maxFiles, what) }

// maxFiles bounds how many files one command line may name.
const maxFiles = 64

// rangeArgs accepts between min and max positional arguments.
func rangeArgs(min, max int, what string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) < min || len(args) > max {
			return usagef("takes %s, got %d argument%s: usage: %s", what, len(args), plural(len(args)), cmd.UseLine())
		}
		return nil
	}
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
