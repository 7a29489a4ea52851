package fleet

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/agentic-eval/agentic-eval/results"
)

// The marker lines around a node's document in its Job's log. The run's
// ID is part of them, so that nothing the harness printed before can pass
// for them.
func beginMarker(runID string) string {
	return "----- agentic-eval fleet results " + runID + " begin -----"
}

func endMarker(runID string) string {
	return "----- agentic-eval fleet results " + runID + " end -----"
}

// The ways a log can fail to hold a document.
var (
	ErrNoDocument = errors.New("no results document in the log")
	ErrTruncated  = errors.New("the results document is truncated")
	ErrTwoDocs    = errors.New("more than one results document in the log")
)

// ParseLog finds the one results document between the run's marker lines
// in a Job's log and reads it through the safe reader. Lines before the
// begin marker and after the end marker are the harness's own output and
// ignored.
func ParseLog(log []byte, runID string) (*results.Results, error) {
	begin, end := []byte(beginMarker(runID)), []byte(endMarker(runID))
	var doc []byte
	in, found := false, false
	for _, line := range bytes.SplitAfter(log, []byte("\n")) {
		trimmed := bytes.TrimRight(line, "\r\n")
		switch {
		case bytes.Equal(trimmed, begin):
			if in || found {
				return nil, ErrTwoDocs
			}
			in = true
		case bytes.Equal(trimmed, end):
			if !in {
				return nil, fmt.Errorf("%w: an end marker without a begin marker", ErrNoDocument)
			}
			in, found = false, true
		case in:
			doc = append(doc, line...)
		}
	}
	if in {
		return nil, fmt.Errorf("%w: no end marker after %d bytes (the log was cut, or the pod stopped while printing)", ErrTruncated, len(doc))
	}
	if !found {
		return nil, ErrNoDocument
	}
	res, err := results.ReadResults(bytes.NewReader(doc))
	if err != nil {
		return nil, err
	}
	return res, nil
}

// tail is the last n non-empty lines of a log, joined on one line, for a
// node's cause when it printed no document.
func tail(log []byte, n int) string {
	lines := bytes.Split(bytes.TrimSpace(log), []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	var parts []string
	for _, l := range lines {
		if l = bytes.TrimSpace(l); len(l) > 0 {
			parts = append(parts, string(l))
		}
	}
	s := strings.Join(parts, " | ")
	if len(s) > 400 {
		s = "…" + s[len(s)-400:]
	}
	return s
}
