// Package fleet measures every node of a Kubernetes cluster with the
// harness itself: one privileged Job per node runs `vms measure` in the
// node's own namespaces against the node's own runtimes, prints its
// results document in its log between markers, and the orchestrator
// merges the documents into one fleet set (measure.FleetSet) that the
// readers expand host by host.
//
// Its opinions: a node is measured by the harness running on it, never
// through the cluster (the k8s variants are left out by default, since
// they would measure the cluster from inside itself); the harness's
// image is built here from the project's own binaries and imported, never
// pushed or pulled, so a node this host cannot import into is reported as
// not measured with its cause, not as a failure of the run; the log is
// the only channel back (no volume read from here, no port opened), and
// what comes through it is parsed apart from running and read through
// the same safe reader as a results file; everything the run makes lives
// in its own namespace and is removed on every path.
package fleet
