// Package criu reads what CRIU (Checkpoint/Restore In Userspace) says: its
// version, the verdict of `criu check`, and the cause of a failed dump or
// restore in its logs. runc's checkpoint/restore and Docker's checkpoint API
// both go through CRIU, so both drivers report its failures the same way.
//
// Its opinion: CRIU's first error is the cause and the lines after it are
// consequences, so the first error line is what a report quotes, whole
// (timestamp and source location included) from a log, and without its
// source location where a one-line summary of `criu check` is wanted. A
// failing `criu check` is a fact to report, not a reason to skip: the
// drivers still attempt the snapshot, whose own failure is the measured
// result.
//
// Parsing is separate from running CRIU (Look): Version, CheckError and
// LogError are pure and tested on CRIU 3.17.1's recorded output
// (testdata/).
package criu
