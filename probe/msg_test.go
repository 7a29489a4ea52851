package probe

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		line string
		want Msg
		ok   bool
	}{
		{"AEPROBE ready pid=1", Msg{Verb: "ready", Payload: "pid=1", PID: 1}, true},
		{"AEPROBE ready pid=22313\r\n", Msg{Verb: "ready", Payload: "pid=22313", PID: 22313}, true},
		{"AEPROBE ready pid=1ping\r", Msg{Verb: "ready", Payload: "pid=1ping", PID: 1}, true},
		{"AEPROBE ready", Msg{Verb: "ready"}, true},
		{"AEPROBE ready pid=x", Msg{Verb: "ready", Payload: "pid=x"}, true},
		{"AEPROBE pong 3", Msg{Verb: "pong", Payload: "3"}, true},
		{"AEPROBE token none", Msg{Verb: "token", Payload: "none"}, true},
		{"AEPROBE token-set ok", Msg{Verb: "token-set", Payload: "ok"}, true},
		{"AEPROBE bye", Msg{Verb: "bye"}, true},
		{`AEPROBE error unknown request "x y"`, Msg{Verb: "error", Payload: `unknown request "x y"`}, true},
		{"[    2.310985] random: crng initAEPROBE pong 1", Msg{Verb: "pong", Payload: "1"}, true},
		{"[    0.414230] PCI: Fatal: No config space access function found", Msg{}, false},
		{"", Msg{}, false},
		{"\r", Msg{}, false},
		{"AEPROBE ", Msg{}, false},
		{"AEPROBE  ", Msg{}, false},
		{"AEPROBE", Msg{}, false},
		{"aeprobe pong 1", Msg{}, false},
		{"AEPROBE Pong 1", Msg{}, false},
		{"AEPROBE \x00\x01 junk", Msg{}, false},
		{"ping", Msg{}, false},
	} {
		got, ok := Parse(tc.line)
		if ok != tc.ok || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Parse(%q) = %+v, %v; want %+v, %v", tc.line, got, ok, tc.want, tc.ok)
		}
	}
}

func TestReplyVerb(t *testing.T) {
	for _, tc := range []struct {
		req  []string
		want string
	}{
		{[]string{"ping"}, "pong"},
		{[]string{"token", "set", "ab"}, "token-set"},
		{[]string{"token", "get"}, "token"},
		{[]string{"token"}, ""},
		{[]string{"facts"}, "facts"},
		{[]string{"facts", "127.0.0.1:1"}, "facts"},
		{[]string{"exit"}, "bye"},
		{[]string{"frobnicate"}, ""},
	} {
		if got := ReplyVerb(tc.req[0], tc.req[1:]...); got != tc.want {
			t.Errorf("ReplyVerb(%q) = %q, want %q", tc.req, got, tc.want)
		}
	}
}

// recordings are the probe's real output, captured by testdata/capture.sh
// after the requests ping, token set, token get, facts, bogus, exit.
var recordings = []string{"host", "runc", "docker", "unshare-root", "unshare-userns", "gvisor", "qemu-tcg", "qemu-tcg-echo"}

func readRecording(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name+".txt"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestParseRecordedOutput(t *testing.T) {
	want := []string{"ready", "pong", "token-set", "token", "facts", "error", "bye"}
	for _, name := range recordings {
		t.Run(name, func(t *testing.T) {
			var verbs []string
			var ready Msg
			for _, line := range strings.Split(readRecording(t, name), "\n") {
				m, ok := Parse(line)
				if !ok {
					continue
				}
				if m.Verb == VerbReady {
					ready = m
				}
				if m.Verb == VerbFacts {
					if _, err := ParseFacts(m.Payload); err != nil {
						t.Errorf("facts: %v", err)
					}
				}
				verbs = append(verbs, m.Verb)
			}
			if !reflect.DeepEqual(verbs, want) {
				t.Errorf("messages %q, want %q", verbs, want)
			}
			if ready.PID <= 0 {
				t.Errorf("ready line %+v has no pid", ready)
			}
		})
	}
}

func TestParseFactsRejectsAnotherSchema(t *testing.T) {
	if _, err := ParseFacts(`{"schema":"aeprobe-facts/0"}`); err == nil || !strings.Contains(err.Error(), "schema") {
		t.Errorf("ParseFacts of schema 0: err = %v, want a schema error", err)
	}
	if _, err := ParseFacts(`{"schema":`); err == nil {
		t.Error("ParseFacts of truncated JSON succeeded")
	}
}

func TestDecodeCaps(t *testing.T) {
	c, err := DecodeCaps("0000000020000420")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_AUDIT_WRITE"}
	if !reflect.DeepEqual(c.Names, want) || c.Hex != "0000000020000420" {
		t.Errorf("DecodeCaps(runc default) = %+v, want names %q", c, want)
	}
	if !c.Has("CAP_KILL") || c.Has("CAP_SYS_ADMIN") {
		t.Errorf("Has is wrong for %q", c.Names)
	}
	all, err := DecodeCaps("000001ffffffffff")
	if err != nil {
		t.Fatal(err)
	}
	if len(all.Names) != 41 || all.Names[40] != "CAP_CHECKPOINT_RESTORE" || !all.Has("CAP_SYS_ADMIN") {
		t.Errorf("DecodeCaps(all 41) = %q", all.Names)
	}
	future, err := DecodeCaps("0000020000000000")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(future.Names, []string{"CAP_41"}) {
		t.Errorf("an unnamed bit decodes as %q, want CAP_41", future.Names)
	}
	none, err := DecodeCaps("0000000000000000")
	if err != nil || len(none.Names) != 0 {
		t.Errorf("DecodeCaps(0) = %+v, %v", none, err)
	}
	if _, err := DecodeCaps("zz"); err == nil {
		t.Error("DecodeCaps(zz) succeeded")
	}
}

func TestUID0Mapping(t *testing.T) {
	for _, tc := range []struct {
		m   string
		out uint64
		ok  bool
	}{
		{"         0          0 4294967295", 0, true},
		{"         0     100000      65536", 100000, true},
		{"      1000          0          1\n         0     100000       1000", 100000, true},
		{"      1000       1000          1", 0, false},
		{"", 0, false},
		{"garbage", 0, false},
	} {
		out, ok := UID0Mapping(tc.m)
		if out != tc.out || ok != tc.ok {
			t.Errorf("UID0Mapping(%q) = %d, %v; want %d, %v", tc.m, out, ok, tc.out, tc.ok)
		}
	}
}

func TestStatusField(t *testing.T) {
	status := "Name:\tsandbox-probe\nCapEff:\t0000000020000420\nSeccomp:\t2\nSeccomp_filters:\t1\n"
	if v, ok := StatusField(status, "Seccomp"); !ok || v != "2" {
		t.Errorf("Seccomp = %q, %v", v, ok)
	}
	if v, ok := StatusField(status, "Seccomp_filters"); !ok || v != "1" {
		t.Errorf("Seccomp_filters = %q, %v", v, ok)
	}
	if _, ok := StatusField(status, "NoNewPrivs"); ok {
		t.Error("found an absent field")
	}
}

func FuzzParse(f *testing.F) {
	for _, name := range recordings {
		b, err := os.ReadFile(filepath.Join("testdata", name+".txt"))
		if err != nil {
			f.Fatal(err)
		}
		for _, line := range strings.Split(string(b), "\n") {
			f.Add(line)
		}
	}
	f.Add("AEPROBE ready pid=99999999999999999999999")
	f.Fuzz(func(t *testing.T, line string) {
		m, ok := Parse(line)
		if !ok {
			return
		}
		if m.Verb == "" || strings.ContainsAny(m.Verb, " \r\n") {
			t.Errorf("Parse(%q) gave verb %q", line, m.Verb)
		}
		if m.PID < 0 {
			t.Errorf("Parse(%q) gave pid %d", line, m.PID)
		}
		if !strings.Contains(line, Marker) {
			t.Errorf("Parse(%q) found a message without the marker", line)
		}
	})
}
