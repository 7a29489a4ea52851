// Command pause is the pod sandbox's placeholder process for the project's
// own Kubernetes cluster (scripts/kube-up.sh): it holds the pod's
// namespaces open, reaps the children it inherits as PID 1, and exits
// cleanly on SIGTERM or SIGINT. It is built statically into the pause
// image scripts/setup-kubernetes.sh imports, so that no registry is needed.
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "-v" {
		os.Stdout.WriteString("agentic-eval pause\n")
		return
	}
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGCHLD)
	for s := range sigs {
		if s != syscall.SIGCHLD {
			os.Exit(0)
		}
		for {
			var ws syscall.WaitStatus
			pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil)
			if pid <= 0 || err != nil {
				break
			}
		}
	}
}
