// Package resultsfile reads results files as untrusted input: one safe way,
// used by every face (CLI and MCP server) that opens a file it was given.
//
// Its opinion: a path from a command line or from an agent names something
// that may be anything, so the reader proves it is what it claims before it
// reads a byte. It never blocks on what it opens (non-blocking open, no
// controlling terminal), refuses anything but a regular file (FIFOs,
// devices, sockets, directories) by looking at the opened descriptor, not
// the name, caps the size before and while reading, takes exactly one JSON
// document with nothing after it, and accepts it only under a schema it
// knows. Optionally it reads only inside allowed directories, symlinks
// resolved. Its errors are one line naming the path and the rule broken, and
// never echo the file's content: a file that is not ours is "not an
// agentic-eval results document", whatever it holds.
package resultsfile
