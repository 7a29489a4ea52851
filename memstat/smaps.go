package memstat

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// ErrProcessGone means the process exited (or was reaped) before or while
// it was read. Test with errors.Is.
var ErrProcessGone = errors.New("process gone")

// Rollup is /proc/<pid>/smaps_rollup: a process's memory summed over its
// mappings, in bytes. Fields holds every field the kernel wrote, by its
// name ("Pss_Anon", "SwapPss", ...); fields a kernel lacks read as zero
// (Pss_Anon, Pss_File and Pss_Shmem appeared in Linux 5.7).
type Rollup struct {
	Rss          uint64            `json:"rss"`
	Pss          uint64            `json:"pss"`
	PssDirty     uint64            `json:"pss_dirty"`
	PssAnon      uint64            `json:"pss_anon"`
	PssFile      uint64            `json:"pss_file"`
	PssShmem     uint64            `json:"pss_shmem"`
	SharedClean  uint64            `json:"shared_clean"`
	SharedDirty  uint64            `json:"shared_dirty"`
	PrivateClean uint64            `json:"private_clean"`
	PrivateDirty uint64            `json:"private_dirty"`
	Anonymous    uint64            `json:"anonymous"`
	Swap         uint64            `json:"swap"`
	SwapPss      uint64            `json:"swap_pss"`
	Locked       uint64            `json:"locked"`
	Fields       map[string]uint64 `json:"fields"`
}

// ParseSmapsRollup parses /proc/<pid>/smaps_rollup text. It also accepts
// the full /proc/<pid>/smaps, summing each field over the mappings, which
// is what the rollup is. Mapping header lines and non-size fields
// (VmFlags, THPeligible, ProtectionKey) are skipped. Empty text (a kernel
// thread or an exiting process has no address space) gives a zero Rollup
// with no fields.
func ParseSmapsRollup(data []byte) (Rollup, error) {
	r := Rollup{Fields: map[string]uint64{}}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	n := 0
	for sc.Scan() {
		n++
		line := sc.Text()
		if !strings.HasSuffix(line, " kB") {
			continue // header "addr-addr perms ... [rollup]", VmFlags, THPeligible
		}
		name, v, _, err := kbField(line)
		if err != nil {
			return Rollup{}, fmt.Errorf("smaps line %d: %w", n, err)
		}
		r.Fields[name] += v
	}
	if err := sc.Err(); err != nil {
		return Rollup{}, fmt.Errorf("smaps: %w", err)
	}
	f := r.Fields
	r.Rss, r.Pss, r.PssDirty = f["Rss"], f["Pss"], f["Pss_Dirty"]
	r.PssAnon, r.PssFile, r.PssShmem = f["Pss_Anon"], f["Pss_File"], f["Pss_Shmem"]
	r.SharedClean, r.SharedDirty = f["Shared_Clean"], f["Shared_Dirty"]
	r.PrivateClean, r.PrivateDirty = f["Private_Clean"], f["Private_Dirty"]
	r.Anonymous, r.Swap, r.SwapPss, r.Locked = f["Anonymous"], f["Swap"], f["SwapPss"], f["Locked"]
	return r, nil
}

// ReadSmapsRollup reads and parses /proc/<pid>/smaps_rollup (falling back
// to /proc/<pid>/smaps on kernels before 4.14). A process that is gone
// gives ErrProcessGone; one without an address space (a kernel thread, a
// zombie) gives a zero Rollup. Reading another user's process needs
// ptrace-read permission; its refusal wraps fs.ErrPermission.
func ReadSmapsRollup(pid int) (Rollup, error) {
	data, err := readProcFile(pid, "smaps_rollup")
	if errors.Is(err, fs.ErrNotExist) && procExists(pid) {
		data, err = readProcFile(pid, "smaps")
	}
	if err != nil {
		return Rollup{}, fmt.Errorf("smaps_rollup of pid %d: %w", pid, err)
	}
	r, err := ParseSmapsRollup(data)
	if err != nil {
		return Rollup{}, fmt.Errorf("smaps_rollup of pid %d: %w", pid, err)
	}
	return r, nil
}

// PSS is the proportional set size of pid, in bytes.
func PSS(pid int) (uint64, error) {
	r, err := ReadSmapsRollup(pid)
	if err != nil {
		return 0, err
	}
	if len(r.Fields) == 0 && !procExists(pid) {
		return 0, fmt.Errorf("pss of pid %d: %w", pid, ErrProcessGone)
	}
	return r.Pss, nil
}

// PSSSum is the PSS of a set of processes.
type PSSSum struct {
	Bytes  uint64         `json:"bytes"`   // the sum over the processes still there
	PerPID map[int]uint64 `json:"per_pid"` // each counted process's PSS
	// Gone lists pids that had exited by the time they were read; they
	// count for nothing.
	Gone []int `json:"gone,omitempty"`
}

// SumPSS adds up the PSS of pids (duplicates counted once). Processes that
// are gone are listed in Gone; any other failure (permission, parse) is an
// error, since a sum missing a live process would understate the cost.
func SumPSS(pids []int) (PSSSum, error) {
	s := PSSSum{PerPID: map[int]uint64{}}
	for _, pid := range pids {
		if _, seen := s.PerPID[pid]; seen || slices.Contains(s.Gone, pid) {
			continue
		}
		v, err := PSS(pid)
		if errors.Is(err, ErrProcessGone) {
			s.Gone = append(s.Gone, pid)
			continue
		}
		if err != nil {
			return PSSSum{}, fmt.Errorf("sum pss: %w", err)
		}
		s.PerPID[pid] = v
		s.Bytes += v
	}
	return s, nil
}

// readProcFile reads /proc/<pid>/<name>, mapping the ways a vanished
// process shows up (ENOENT on the directory, ESRCH mid-read) to
// ErrProcessGone.
func readProcFile(pid int, name string) ([]byte, error) {
	if pid <= 0 {
		return nil, fmt.Errorf("invalid pid %d", pid)
	}
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/" + name)
	if err == nil {
		return data, nil
	}
	if errors.Is(err, unix.ESRCH) || (errors.Is(err, fs.ErrNotExist) && !procExists(pid)) {
		return nil, fmt.Errorf("%w: %v", ErrProcessGone, err)
	}
	return nil, err
}

func procExists(pid int) bool {
	_, err := os.Stat("/proc/" + strconv.Itoa(pid))
	return err == nil
}
