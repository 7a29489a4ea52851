package docker

import (
	"fmt"
	"os"
	"strings"

	"github.com/agentic-eval/agentic-eval/memstat"
)

// hostPIDs are the host processes of a container whose init process is
// pid: its containerd shim (pid's parent, when it is one), pid itself and
// its descendants, shim first.
func hostPIDs(pid int) ([]int, error) {
	tree, err := memstat.ProcessTree(pid)
	if err != nil {
		return nil, err
	}
	self, err := readStat(pid)
	if err != nil {
		return nil, err
	}
	parent, err := readStat(self.PPID)
	if err != nil {
		return nil, err
	}
	if isShim(parent.Comm) {
		tree = append([]int{parent.PID}, tree...)
	}
	return tree, nil
}

// isShim reports whether a command name (as /proc/<pid>/stat gives it, cut
// to 15 bytes) is a containerd shim: containerd-shim-runc-v2 shows as
// "containerd-shim".
func isShim(comm string) bool { return strings.HasPrefix(comm, "containerd-shim") }

func readStat(pid int) (memstat.Stat, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return memstat.Stat{}, fmt.Errorf("process %d: %w", pid, err)
	}
	return memstat.ParseStat(string(b))
}
