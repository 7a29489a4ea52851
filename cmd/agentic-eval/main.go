// Command agentic-eval rates VM and sandbox systems for agent workloads.
// Run `agentic-eval vms --help` for the catalog commands.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/agentic-eval/agentic-eval/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
