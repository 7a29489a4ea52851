package qemu

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
)

// The guest agent's replies, recorded from qemu-ga 7.2 (Debian's
// qemu-guest-agent 1:7.2+dfsg-7+deb12u18) in a guest on the image.

func TestSyncSkipsTheAgentsComplaintAboutTheFlushByteAndStaleReplies(t *testing.T) {
	// The 0xFF sent to flush the agent's parser earns a parse error first;
	// the sync's own reply follows a 0xFF.
	rec := readTestdata(t, "qga-sync-delimited.txt")
	if err := readSync(bufio.NewReader(bytes.NewReader(rec)), 4242); err != nil {
		t.Fatalf("recorded sync: %v", err)
	}
	// A reply to an earlier, abandoned exchange after the 0xFF is skipped.
	stale := append([]byte("\xff"), []byte("{\"return\": {\"pid\": 7}}\n{\"return\": 4242}\n")...)
	if err := readSync(bufio.NewReader(bytes.NewReader(stale)), 4242); err != nil {
		t.Errorf("sync after a stale reply: %v", err)
	}
	if err := readSync(bufio.NewReader(bytes.NewReader(rec)), 1); err == nil {
		t.Error("a sync whose id never came back succeeded")
	}
}

func TestParseGuestExecRepliesAsRecorded(t *testing.T) {
	ret, err := parseQGAReply(readTestdata(t, "qga-exec.json"))
	if err != nil {
		t.Fatal(err)
	}
	if pid, err := parseExecPID(ret); err != nil || pid != 135 {
		t.Errorf("guest-exec pid = %d, %v; want 135", pid, err)
	}
	for _, tc := range []struct {
		file      string
		exited    bool
		wantOut   string
		wantError string
	}{
		{"qga-exec-status-running.json", false, "", ""},
		{"qga-exec-status-exited.json", true, "AEPROBE exec-ok pid=135\n", ""},
		{"qga-exec-status-exit3.json", true, "", "exit status 3: oops"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			ret, err := parseQGAReply(readTestdata(t, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			st, err := parseExecStatus(ret)
			if err != nil {
				t.Fatal(err)
			}
			if st.Exited != tc.exited {
				t.Fatalf("exited = %v, want %v", st.Exited, tc.exited)
			}
			if !st.Exited {
				return
			}
			out, err := st.result("/sandbox-probe")
			if string(out) != tc.wantOut {
				t.Errorf("stdout %q, want %q", out, tc.wantOut)
			}
			switch {
			case tc.wantError == "" && err != nil:
				t.Errorf("error %v, want none", err)
			case tc.wantError != "" && (err == nil || !strings.Contains(err.Error(), tc.wantError)):
				t.Errorf("error %v, want one saying %q", err, tc.wantError)
			}
		})
	}
}

func TestParseGuestAgentErrorsKeepTheirClass(t *testing.T) {
	for _, tc := range []struct{ file, class, desc string }{
		{"qga-error-unknown-command.json", "CommandNotFound", "guest-nope"},
		{"qga-exec-no-such-file.json", "GenericError", "/no/such"},
	} {
		_, err := parseQGAReply(readTestdata(t, tc.file))
		var qe *qgaError
		if !errors.As(err, &qe) || qe.Class != tc.class || !strings.Contains(qe.Desc, tc.desc) {
			t.Errorf("%s: error %v, want class %s naming %q", tc.file, err, tc.class, tc.desc)
		}
	}
	for _, bad := range []string{"", "{", `{"neither": 1}`, `[1]`} {
		if _, err := parseQGAReply([]byte(bad)); err == nil {
			t.Errorf("reply %q parsed", bad)
		}
	}
}

func TestExecOutputIsBounded(t *testing.T) {
	big := base64.StdEncoding.EncodeToString(make([]byte, maxExecOutput+1024))
	if _, err := (execStatus{Exited: true, OutData: big}).result("/sandbox-probe"); err == nil {
		t.Error("stdout over the bound was accepted")
	}
	if _, err := (execStatus{Exited: true, OutData: "!!!"}).result("/sandbox-probe"); err == nil {
		t.Error("stdout that is not base64 was accepted")
	}
	sig := 9
	if _, err := (execStatus{Exited: true, Signal: &sig}).result("/sandbox-probe"); err == nil || !strings.Contains(err.Error(), "signal 9") {
		t.Errorf("a killed exec: %v", err)
	}
	if _, err := (execStatus{Exited: true, OutTruncated: true}).result("/sandbox-probe"); err == nil {
		t.Error("stdout the agent cut was accepted")
	}
}

func TestReadReplyRefusesALineOverTheBound(t *testing.T) {
	long := bytes.Repeat([]byte("a"), maxQGAReply+10)
	if _, err := readReply(bufio.NewReaderSize(bytes.NewReader(append(long, '\n')), 4096)); err == nil {
		t.Error("a reply over the bound was read")
	}
	got, err := readReply(bufio.NewReaderSize(bytes.NewReader([]byte("\n\n{\"return\": {}}\n")), 16))
	if err != nil || string(got) != `{"return": {}}` {
		t.Errorf("readReply = %q, %v", got, err)
	}
}
