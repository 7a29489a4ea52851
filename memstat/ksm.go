package memstat

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// KSMDir is where the kernel publishes same-page merging's state.
const KSMDir = "/sys/kernel/mm/ksm"

// KSM is kernel same-page merging's state at one moment. With KSM running,
// identical pages of many sandboxes (a guest kernel, an interpreter) are
// kept once, so a fleet costs less than its members did alone: any memory
// figure is read with it.
type KSM struct {
	// Available is false when the kernel has no KSM (no KSMDir); Cause
	// then says why.
	Available bool   `json:"available"`
	Cause     string `json:"cause,omitempty"`
	// Run is /sys/kernel/mm/ksm/run: 0 stopped, 1 merging, 2 stopped and
	// unmerged.
	Run int `json:"run"`
	// PagesShared are the shared pages kept; PagesSharing the pages that
	// use them, i.e. about how many pages are saved.
	PagesShared  int64 `json:"pages_shared"`
	PagesSharing int64 `json:"pages_sharing"`
}

// State is "running", "stopped" or "stopped, unmerged", or why KSM is
// not there.
func (k KSM) State() string {
	switch {
	case !k.Available:
		return "not available: " + k.Cause
	case k.Run == 1:
		return "running"
	case k.Run == 2:
		return "stopped, unmerged"
	default:
		return "stopped"
	}
}

// ReadKSM reads KSM's state from dir (KSMDir on a real host).
func ReadKSM(dir string) KSM {
	var k KSM
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		k.Cause = fmt.Sprintf("no %s: the kernel was built without KSM", dir)
		return k
	}
	vals := map[string]*int64{}
	var run, shared, sharing int64
	vals["run"], vals["pages_shared"], vals["pages_sharing"] = &run, &shared, &sharing
	for name, v := range vals {
		b, err := readSmallFile(filepath.Join(dir, name))
		if err != nil {
			k.Cause = err.Error()
			return k
		}
		n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
		if err != nil {
			k.Cause = fmt.Sprintf("%s: %q is not a number", filepath.Join(dir, name), strings.TrimSpace(string(b)))
			return k
		}
		*v = n
	}
	k.Available, k.Run, k.PagesShared, k.PagesSharing = true, int(run), shared, sharing
	return k
}

// readSmallFile reads a regular file (sysfs files are) of at most 4 KiB.
func readSmallFile(path string) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", path)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b := make([]byte, 4096)
	n, err := f.Read(b)
	if err != nil && n == 0 {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if n == len(b) {
		return nil, errors.New(path + " is larger than 4 KiB")
	}
	return b[:n], nil
}
