package qemu

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"

	"github.com/agentic-eval/agentic-eval/driver"
)

// This file holds everything that reads QEMU's and the host's text: it runs
// nothing, so that it can be tested on recorded output (testdata/).

var versionRE = regexp.MustCompile(`^QEMU emulator version (\d+\.\d+(?:\.\d+)?)(?:\s+\((.*)\))?`)

// qemuVersion is what `qemu-system-x86_64 --version` says about itself.
type qemuVersion struct {
	Version string // "7.2.22"
	Package string // "Debian 1:7.2+dfsg-7+deb12u18+b3", when given
}

// parseVersion reads the first line of `qemu-system-x86_64 --version`.
func parseVersion(out string) (qemuVersion, error) {
	first, _, _ := strings.Cut(strings.TrimSpace(out), "\n")
	m := versionRE.FindStringSubmatch(strings.TrimSpace(first))
	if m == nil {
		return qemuVersion{}, fmt.Errorf("parse qemu version line %q: not \"QEMU emulator version X.Y.Z\"", first)
	}
	return qemuVersion{Version: m[1], Package: m[2]}, nil
}

// String is "7.2.22 (Debian ...)".
func (v qemuVersion) String() string {
	if v.Package == "" {
		return v.Version
	}
	return v.Version + " (" + v.Package + ")"
}

// parseAccelHelp reads `qemu-system-x86_64 -accel help`: a header line, then
// one accelerator per line.
func parseAccelHelp(out string) []string {
	var accels []string
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		l := strings.TrimSpace(sc.Text())
		if l == "" || strings.Contains(l, " ") || strings.HasSuffix(l, ":") {
			continue
		}
		accels = append(accels, l)
	}
	return accels
}

// parseCPUMHz reads the first "cpu MHz" of /proc/cpuinfo and returns it in
// kHz, rounded: the TSC frequency a TCG guest is told with tsc_early_khz.
func parseCPUMHz(cpuinfo string) (int64, error) {
	sc := bufio.NewScanner(strings.NewReader(cpuinfo))
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok || strings.TrimSpace(k) != "cpu MHz" {
			continue
		}
		mhz, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil || mhz <= 0 {
			return 0, fmt.Errorf("parse cpuinfo \"cpu MHz\" %q: not a positive number", strings.TrimSpace(v))
		}
		return int64(math.Round(mhz * 1000)), nil
	}
	return 0, fmt.Errorf("parse cpuinfo: no \"cpu MHz\" line")
}

// qmpError is an error QEMU returned over QMP.
type qmpError struct {
	Class string `json:"class"`
	Desc  string `json:"desc"`
}

func (e *qmpError) Error() string { return "qmp " + e.Class + ": " + e.Desc }

// parseQMPReturn reads one QMP reply and returns its "return" member, or
// the QMP error.
func parseQMPReturn(reply []byte) (json.RawMessage, error) {
	var r struct {
		Return json.RawMessage `json:"return"`
		Error  *qmpError       `json:"error"`
	}
	if err := json.Unmarshal(reply, &r); err != nil {
		return nil, fmt.Errorf("parse qmp reply %q: %w", truncate(string(reply), 200), err)
	}
	if r.Error != nil {
		return nil, r.Error
	}
	if r.Return == nil {
		return nil, fmt.Errorf("parse qmp reply %q: neither return nor error", truncate(string(reply), 200))
	}
	return r.Return, nil
}

// runState is the answer to query-status.
type runState struct {
	Status  string `json:"status"` // "running", "paused", "inmigrate", "postmigrate", "prelaunch", ...
	Running bool   `json:"running"`
}

func parseQueryStatus(reply []byte) (runState, error) {
	ret, err := parseQMPReturn(reply)
	if err != nil {
		return runState{}, fmt.Errorf("query-status: %w", err)
	}
	var s runState
	if err := json.Unmarshal(ret, &s); err != nil {
		return runState{}, fmt.Errorf("query-status: parse %q: %w", truncate(string(ret), 200), err)
	}
	if s.Status == "" {
		return runState{}, fmt.Errorf("query-status: no status in %q", truncate(string(ret), 200))
	}
	return s, nil
}

// migration is the answer to query-migrate. Status is "" before any
// migration was started.
type migration struct {
	Status      string `json:"status"` // "setup", "active", "completed", "failed", "cancelled", ...
	ErrorDesc   string `json:"error-desc"`
	TotalTimeMS int64  `json:"total-time"`
	DowntimeMS  int64  `json:"downtime"`
	RAM         struct {
		Total       int64 `json:"total"`
		Transferred int64 `json:"transferred"`
		Remaining   int64 `json:"remaining"`
	} `json:"ram"`
}

// Done says the migration ended, one way or the other.
func (m migration) Done() bool {
	switch m.Status {
	case "completed", "failed", "cancelled":
		return true
	}
	return false
}

func parseQueryMigrate(reply []byte) (migration, error) {
	ret, err := parseQMPReturn(reply)
	if err != nil {
		return migration{}, fmt.Errorf("query-migrate: %w", err)
	}
	var m migration
	if err := json.Unmarshal(ret, &m); err != nil {
		return migration{}, fmt.Errorf("query-migrate: parse %q: %w", truncate(string(ret), 200), err)
	}
	return m, nil
}

// parseNameArg finds the value of -name in a QEMU command line (argv as
// /proc/PID/cmdline holds it, NUL-separated): the plain form "-name ID" and
// the keyed form "-name guest=ID,...". It reports false when there is none.
func parseNameArg(argv []string) (string, bool) {
	for i := 0; i+1 < len(argv); i++ {
		if argv[i] != "-name" && argv[i] != "--name" {
			continue
		}
		v := argv[i+1]
		if g, ok := strings.CutPrefix(v, "guest="); ok {
			v = g
		}
		v, _, _ = strings.Cut(v, ",")
		return v, true
	}
	return "", false
}

// socketPathsInArgs lists the unix socket and pid file paths a QEMU command
// line names (-qmp unix:PATH,..., -chardev socket,path=PATH, -pidfile PATH).
func socketPathsInArgs(argv []string) []string {
	var paths []string
	for i := 0; i+1 < len(argv); i++ {
		v := argv[i+1]
		switch argv[i] {
		case "-qmp", "-monitor", "-serial":
			if p, ok := strings.CutPrefix(v, "unix:"); ok {
				p, _, _ = strings.Cut(p, ",")
				paths = append(paths, p)
			}
		case "-chardev":
			for _, kv := range strings.Split(v, ",") {
				if p, ok := strings.CutPrefix(kv, "path="); ok {
					paths = append(paths, p)
				}
			}
		case "-pidfile":
			paths = append(paths, v)
		}
	}
	return paths
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// qemuFailure types err, a failure of the QEMU process, by what QEMU
// printed on its stderr (log, its tail) and how the process ended
// (waitErr, nil while it runs): the errno whose C library text QEMU or a
// command of its migration printed (driver.Printed: "cat: write error: No
// space left on device" is syscall.ENOSPC), and driver.ErrKilled when a
// signal from outside ended it, whether it died of it or caught it and
// said so (terminatedBySignal).
func qemuFailure(err error, log string, waitErr error) error {
	err = driver.Printed(err, log)
	if terminatedBySignal(log) || driver.KilledFromOutside(waitErr) {
		err = driver.Killed(err)
	}
	return err
}

// terminatedBySignal reports whether QEMU's stderr says a signal sent to it
// ended it ("qemu-system-x86_64: terminating on signal 15 from pid 7252
// (bash)"): QEMU catches SIGTERM, SIGINT and SIGHUP and exits with status
// 0, so its exit status cannot tell.
func terminatedBySignal(log string) bool {
	for _, l := range strings.Split(log, "\n") {
		if _, after, ok := strings.Cut(l, ": "); ok && strings.HasPrefix(after, "terminating on signal ") {
			return true
		}
	}
	return false
}
