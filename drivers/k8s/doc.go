// Package k8s measures sandboxes as Kubernetes runs them: one Pod per
// sandbox, created, watched to Ready, spoken to and deleted through the
// cluster's real API (client-go), with the RuntimeClass deciding the
// runtime underneath. Variants are k8s/<runtimeclass>: k8s/runc for the
// node's default handler, k8s/gvisor where a RuntimeClass's handler is
// runsc, k8s/kata where one's is kata; each speaks for its catalog row
// beside the direct drivers, so "runc through Kubernetes" and "runc
// direct" are measured side by side.
//
// Its opinions: the API is the only way in (no kubectl, no shelling out
// to the node's runtime for the sandbox itself); an agent talks to a pod
// through attach and exec, so those are what the figures include; the
// phases of a start (accepted, scheduled, sandbox created, container
// started, Ready, the probe's ready line) are taken from the watch as the
// client sees them, because the kubelet's own pacing is what a user of
// Kubernetes waits for; images are imported on the node, never pulled;
// every object lives in the run's own namespace, labelled with the run, so
// that one delete removes everything a run made, on every path.
package k8s
