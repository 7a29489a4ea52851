package k8s

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"

	"github.com/agentic-eval/agentic-eval/ociimage"
)

// ImportLocal streams im as an OCI archive into this host's node's
// containerd (the CRI's namespace), the way the
// driver imports the probe: for callers that run their own pods from a
// locally built image (agentic-eval fleet measure).
func ImportLocal(ctx context.Context, im ociimage.Image) error {
	cd, err := findContainerd()
	if err != nil {
		return err
	}
	ictx, cancel := context.WithTimeout(ctx, importTimeout)
	defer cancel()
	return cd.importImage(ictx, im)
}

// RemoveLocal removes the named images from this host's node's
// containerd; a missing image is not an error.
func RemoveLocal(ctx context.Context, refs ...string) error {
	cd, err := findContainerd()
	if err != nil {
		return err
	}
	rctx, cancel := context.WithTimeout(ctx, apiTimeout)
	defer cancel()
	if err := cd.removeImages(rctx, refs...); err != nil {
		return fmt.Errorf("remove images: %w", err)
	}
	return nil
}

// LocalImages lists the images of this host's node's containerd whose
// reference starts with prefix.
func LocalImages(ctx context.Context, prefix string) ([]string, error) {
	cd, err := findContainerd()
	if err != nil {
		return nil, err
	}
	lctx, cancel := context.WithTimeout(ctx, apiTimeout)
	defer cancel()
	return cd.listImages(lctx, prefix)
}

// ReadyNodes are the nodes that are Ready and schedulable, by name.
func ReadyNodes(nodes []corev1.Node) []corev1.Node { return readyNodes(nodes) }

// IsLocalNode reports whether one of n's InternalIPs is an address of
// this host.
func IsLocalNode(n corev1.Node) bool {
	_, ok := localNode([]corev1.Node{n}, hostAddrs())
	return ok
}
