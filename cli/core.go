package cli

import (
	"errors"
	"fmt"

	"github.com/agentic-eval/agentic-eval/app"
)

// core is the application this command line serves, configured by the
// command's flags (the cluster of the Kubernetes variants).
func (a *App) core(kubeconfig string) *app.App {
	return app.New(app.Config{Kubeconfig: kubeconfig})
}

// flagOf names, on this command line, an input the application refused.
var flagOf = map[string]string{
	"weights": "--weights", "preset": "--preset", "results": "--results",
	"kubeconfig": "--kubeconfig", "require-measured": "--require-measured",
	"timeout": "--timeout", "nodes": "--nodes", "settings": "",
	"variants": "", "constraints": "", "workload": "--workload",
}

// fromApp turns the application's refusal of its input into a usage
// error (exit status 2) that names the flag; other errors pass.
func fromApp(err error) error {
	var ue *app.UnavailableError
	if errors.As(err, &ue) {
		return fmt.Errorf("%w; pass --skip-unavailable to go on without it", err)
	}
	var ie *app.InputError
	if !errors.As(err, &ie) {
		return err
	}
	flag, ok := flagOf[ie.Field]
	if !ok && ie.Field != "" {
		flag = "--" + ie.Field
	}
	if flag == "" {
		return &UsageError{Err: ie.Err}
	}
	return &UsageError{Err: fmt.Errorf("%s: %w", flag, ie.Err)}
}
