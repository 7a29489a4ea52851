package k8s

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/agentic-eval/agentic-eval/driver"
	"github.com/agentic-eval/agentic-eval/ociimage"
)

// namespaceOf is the run's namespace: "ae-<run>", the run's prefix.
func namespaceOf(runID string) string { return "ae-" + runID }

// Prepare makes the run's namespace and imports the run's images into the
// local node's containerd: the probe alone, and the sandbox image when the
// run measures workloads. Pods are pinned to that node.
func (d *Driver) Prepare(ctx context.Context, env driver.RunEnv) error {
	conn, err := d.connected()
	if err != nil {
		return err
	}
	d.mu.Lock()
	local := d.nodeLocal
	d.mu.Unlock()
	if !local {
		return errors.New("no node of the cluster is this host: the probe's images are imported on the node, never pulled, so run the harness on a node (agentic-eval fleet measure runs it on every node)")
	}
	cd, err := findContainerd()
	if err != nil {
		return err
	}
	ns := namespaceOf(env.RunID)
	cctx, cancel := context.WithTimeout(ctx, apiTimeout)
	defer cancel()
	_, err = conn.Client.CoreV1().Namespaces().Create(cctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{
		Name: ns, Labels: map[string]string{RunLabel: env.RunID},
	}}, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("create namespace %s: %w", ns, err)
	}
	d.mu.Lock()
	d.runID, d.namespace, d.socket = env.RunID, ns, cd.socket
	d.mu.Unlock()

	probeRef, sandboxRef := imageRefs(env.RunID)
	ictx, icancel := context.WithTimeout(ctx, importTimeout)
	defer icancel()
	pim, err := probeImage(probeRef, env.Probe)
	if err != nil {
		return err
	}
	if err := d.importOne(ictx, cd, pim); err != nil {
		return err
	}
	d.mu.Lock()
	d.probeRef = probeRef
	d.mu.Unlock()
	if !env.Image.IsZero() {
		sim, err := sandboxImage(sandboxRef, env.Probe, env.Image)
		if err != nil {
			return err
		}
		if err := d.importOne(ictx, cd, sim); err != nil {
			return err
		}
		d.mu.Lock()
		d.imageRef = sandboxRef
		d.mu.Unlock()
	}
	return nil
}

func (d *Driver) importOne(ctx context.Context, cd containerd, im ociimage.Image) error {
	// Recorded before the import, so that Close removes a half-done one.
	d.mu.Lock()
	d.imported = append(d.imported, im.Ref)
	d.mu.Unlock()
	return cd.importImage(ctx, im)
}

// Close deletes the run's namespace (and so every pod left in it), waits
// until it is gone, and removes the run's images from the node.
func (d *Driver) Close(ctx context.Context) error {
	d.mu.Lock()
	conn, ns, imported, sock := d.conn, d.namespace, d.imported, d.socket
	d.namespace, d.imported = "", nil
	d.mu.Unlock()
	var errs []error
	if conn != nil && ns != "" {
		if err := deleteNamespace(ctx, conn, ns); err != nil {
			errs = append(errs, err)
		}
	}
	if len(imported) > 0 && sock != "" {
		cd, err := findContainerd()
		if err == nil {
			ictx, cancel := context.WithTimeout(context.WithoutCancel(ctx), apiTimeout)
			err = cd.removeImages(ictx, imported...)
			cancel()
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("remove the run's images %s: %w", strings.Join(imported, ", "), err))
		}
	}
	return errors.Join(errs...)
}

// deleteNamespace deletes ns and waits until the API no longer has it (its
// pods deleted by the kubelet first), within cleanupTimeout.
func deleteNamespace(ctx context.Context, conn *Conn, ns string) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	err := conn.Client.CoreV1().Namespaces().Delete(ctx, ns, metav1.DeleteOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("delete namespace %s: %w", ns, err)
	}
	// The pods first, without grace: the namespace controller would give
	// each its grace period one after another.
	_ = conn.Client.CoreV1().Pods(ns).DeleteCollection(ctx, metav1.DeleteOptions{GracePeriodSeconds: ptr(int64(0))}, metav1.ListOptions{})
	err = wait.PollUntilContextCancel(ctx, 200*time.Millisecond, true, func(ctx context.Context) (bool, error) {
		_, err := conn.Client.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return true, nil
		}
		return false, nil
	})
	if err != nil {
		return fmt.Errorf("namespace %s still there after %s: %w", ns, cleanupTimeout, err)
	}
	return nil
}

// Leftovers lists the namespaces (with their pods) and the node's images of
// the runs that prefix selects ("ae-<run>" for one run, "ae-" for all).
func (d *Driver) Leftovers(ctx context.Context, prefix string) ([]string, error) {
	nss, imgs, err := d.leftovers(ctx, prefix)
	if err != nil {
		return nil, err
	}
	var out []string
	conn, _ := d.connected()
	for _, ns := range nss {
		out = append(out, "kubernetes namespace "+ns)
		if conn == nil {
			continue
		}
		cctx, cancel := context.WithTimeout(ctx, apiTimeout)
		pods, err := conn.Client.CoreV1().Pods(ns).List(cctx, metav1.ListOptions{})
		cancel()
		if err != nil {
			return nil, fmt.Errorf("list pods of namespace %s: %w", ns, err)
		}
		for _, p := range pods.Items {
			out = append(out, fmt.Sprintf("kubernetes pod %s/%s (%s)", ns, p.Name, p.Status.Phase))
		}
	}
	for _, im := range imgs {
		out = append(out, "containerd image "+im)
	}
	return out, nil
}

// Reap removes what Leftovers lists.
func (d *Driver) Reap(ctx context.Context, prefix string) error {
	nss, imgs, err := d.leftovers(ctx, prefix)
	if err != nil {
		return err
	}
	conn, _ := d.connected()
	var errs []error
	for _, ns := range nss {
		if err := deleteNamespace(ctx, conn, ns); err != nil {
			errs = append(errs, err)
		}
	}
	if len(imgs) > 0 {
		cd, err := findContainerd()
		if err == nil {
			err = cd.removeImages(ctx, imgs...)
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (d *Driver) leftovers(ctx context.Context, prefix string) (nss, imgs []string, err error) {
	conn, err := d.connected()
	if err != nil {
		// Never fingerprinted here (a reap after a crash): connect now.
		c, cerr := ConnectTo(d.kubeconfig)
		if cerr != nil {
			return nil, nil, nil // no cluster, nothing of ours in one
		}
		d.mu.Lock()
		d.conn = c
		d.mu.Unlock()
		conn = c
	}
	cctx, cancel := context.WithTimeout(ctx, apiTimeout)
	defer cancel()
	list, err := conn.Client.CoreV1().Namespaces().List(cctx, metav1.ListOptions{LabelSelector: RunLabel})
	if err != nil {
		if isUnreachable(err) {
			return nil, nil, nil
		}
		return nil, nil, fmt.Errorf("list namespaces: %w", err)
	}
	for _, ns := range list.Items {
		if strings.HasPrefix(ns.Name, prefix) {
			nss = append(nss, ns.Name)
		}
	}
	if cd, err := findContainerd(); err == nil {
		for _, repo := range []string{"localhost/agentic-eval/probe:", "localhost/agentic-eval/sandbox:"} {
			refs, err := cd.listImages(cctx, repo+prefix)
			if err == nil {
				imgs = append(imgs, refs...)
			}
		}
	}
	sort.Strings(nss)
	sort.Strings(imgs)
	return nss, imgs, nil
}

func ptr[T any](v T) *T { return &v }
