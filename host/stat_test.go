package host

import (
	"os"
	"testing"
)

func TestParseStatStartTime(t *testing.T) {
	// A recorded /proc/<pid>/stat line; the command name holds ") (".
	line := "4242 (a) (b) S 1 4242 4242 0 -1 4194560 120 0 0 0 1 2 0 0 20 0 1 0 987654 1000000 200 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0"
	st, err := ParseStat(line)
	if err != nil {
		t.Fatal(err)
	}
	if st.PID != 4242 || st.Comm != "a) (b" || st.PPID != 1 || st.StartTime != 987654 {
		t.Errorf("parsed %+v: want pid 4242, comm %q, ppid 1, starttime 987654", st, "a) (b")
	}
	self, err := ReadStat(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if !SameProcess(os.Getpid(), self.StartTime) || SameProcess(os.Getpid(), self.StartTime+1) {
		t.Error("SameProcess must hold for this process's start time only")
	}
}
