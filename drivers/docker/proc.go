package docker

import (
	"fmt"
	"strings"

	"github.com/agentic-eval/agentic-eval/host"
)

// hostPIDs are the host processes of a container whose init process is
// pid: its containerd shim (pid's parent, when it is one), pid itself and
// its descendants, shim first.
func hostPIDs(pid int) ([]int, error) {
	ps, err := host.ScanProcesses()
	if err != nil {
		return nil, err
	}
	self, ok := ps[pid]
	if !ok {
		return nil, fmt.Errorf("process %d: gone", pid)
	}
	tree := ps.Descendants(pid)
	if parent, ok := ps[self.PPID]; ok && isShim(parent.Comm) {
		tree = append([]int{parent.PID}, tree...)
	}
	return tree, nil
}

// isShim reports whether a command name (as /proc/<pid>/stat gives it, cut
// to 15 bytes) is a containerd shim: containerd-shim-runc-v2 shows as
// "containerd-shim".
func isShim(comm string) bool { return strings.HasPrefix(comm, "containerd-shim") }
