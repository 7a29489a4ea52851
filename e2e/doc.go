// Package e2e holds end-to-end tests of the agentic-eval command against the
// real runtimes: a measurement run as a user runs it, interrupted with
// SIGINT and SIGTERM, with a runtime process killed under it, and then the
// host searched for anything the run left behind. It has no code of its
// own: its opinion is that cleanup is proved from outside the process, on
// the host, not trusted from inside.
package e2e
