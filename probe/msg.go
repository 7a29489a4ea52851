package probe

import (
	"strconv"
	"strings"
	"time"
)

// ExecFlag makes the probe print one exec-ok line with its pid and exit:
// the harness runs it through a runtime's exec to prove exec works.
const ExecFlag = "--exec-check"

// FeaturesFlag makes the probe print Features and exit: how a tool tells
// that a probe binary it did not build (the one setup installed) is the
// probe it speaks to.
const FeaturesFlag = "--features"

// Features names what this probe can do, one word per ability and its
// version. Change it whenever the probe gains an ability the harness
// relies on, so that an older installed probe is refused, not run.
const Features = "ready/1 agent/1 exec-check/1 vm-image/1"

// Marker starts every message the probe writes.
const Marker = "AEPROBE "

// Verbs of the probe's messages.
const (
	VerbReady    = "ready"
	VerbPong     = "pong"
	VerbTokenSet = "token-set"
	VerbToken    = "token"
	VerbFacts    = "facts"
	VerbBye      = "bye"
	VerbError    = "error"
	// VerbExecOK is what the probe prints when started with ExecFlag as a
	// second process in a running sandbox (the runtime's exec).
	VerbExecOK = "exec-ok"
)

// Msg is one message from the probe.
type Msg struct {
	Verb    string // "ready", "pong", "token", "facts", "bye", "error", ...
	Payload string // the rest of the line after the verb, without surrounding space
	// PID is the probe's pid, from a ready line's "pid=<n>"; 0 otherwise.
	PID int
	// At is when the harness read the line, on its monotonic clock. Parse
	// leaves it zero; Stream sets it.
	At time.Time
}

// Parse reads one output line. It reports false for noise: a line without
// the marker, or with the marker but no verb. A trailing "\r" or "\n" is
// trimmed, and text before the marker is dropped.
func Parse(line string) (Msg, bool) {
	line = strings.TrimRight(line, "\r\n")
	i := strings.Index(line, Marker)
	if i < 0 {
		return Msg{}, false
	}
	rest := strings.TrimSpace(line[i+len(Marker):])
	verb, payload, _ := strings.Cut(rest, " ")
	if verb == "" || !validVerb(verb) {
		return Msg{}, false
	}
	m := Msg{Verb: verb, Payload: strings.TrimSpace(payload)}
	if verb == VerbReady {
		for _, f := range strings.Fields(m.Payload) {
			if v, ok := strings.CutPrefix(f, "pid="); ok {
				// Leading digits only: a console may run echoed input
				// into the line ("pid=1ping").
				end := 0
				for end < len(v) && v[end] >= '0' && v[end] <= '9' {
					end++
				}
				if n, err := strconv.Atoi(v[:end]); err == nil && n > 0 {
					m.PID = n
				}
			}
		}
	}
	return m, true
}

// validVerb accepts lowercase letters, digits and '-': anything else after
// the marker is not a message (a garbled console line).
func validVerb(v string) bool {
	for _, r := range v {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
			return false
		}
	}
	return true
}

// ReplyVerb is the verb of the message that answers a request: "pong" for
// "ping", "token-set" for "token set", "token" for "token get", "facts" for
// "facts", "bye" for "exit". It is "" for a request the protocol does not
// define; any reply then answers it. An "error" message answers every
// request.
func ReplyVerb(verb string, args ...string) string {
	switch verb {
	case "ping":
		return VerbPong
	case "token":
		if len(args) > 0 && args[0] == "set" {
			return VerbTokenSet
		}
		if len(args) > 0 && args[0] == "get" {
			return VerbToken
		}
		return ""
	case "facts":
		return VerbFacts
	case "exit":
		return VerbBye
	case ReqRun:
		return VerbResult
	case ReqPut:
		return VerbPutOK
	case ReqGet:
		return VerbContent
	case ReqSessionStart:
		return VerbSessionReady
	case ReqSessionSend:
		return VerbSessionOut
	}
	return ""
}
