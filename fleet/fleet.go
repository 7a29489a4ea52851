package fleet

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/agentic-eval/agentic-eval/drivers/k8s"
	"github.com/agentic-eval/agentic-eval/ociimage"
	"github.com/agentic-eval/agentic-eval/results"
)

// Options say what a fleet run measures and with what.
type Options struct {
	Conn *k8s.Conn
	// Selector is a label selector on nodes; Nodes names nodes. Neither:
	// every Ready node.
	Selector string
	Nodes    []string
	// MeasureArgs are given to `vms measure` on every node.
	MeasureArgs []string
	// Timeout is each Job's activeDeadlineSeconds.
	Timeout time.Duration
	// Harness is a static agentic-eval binary, Probe the sandbox probe,
	// Busybox a static busybox (sh, nsenter, cp for the pod).
	Harness, Probe, Busybox string
	// Progress gets one line per step; nil for none.
	Progress io.Writer
	// RunID is generated when empty.
	RunID string
}

// Timeouts of the orchestrator's own waits.
const (
	apiTimeout     = 15 * time.Second
	cleanupTimeout = 2 * time.Minute
	// logLimit bounds one pod's log read: a document at the reader's
	// limit plus the harness's own lines.
	logLimit = results.DefaultMaxBytes + 1<<20
)

// ImageRef is the run's harness image on the local node.
func ImageRef(runID string) string { return "localhost/agentic-eval/fleet:ae-" + runID }

// Namespace is the run's namespace.
func Namespace(runID string) string { return "ae-" + runID }

// ErrUsage marks an option that is wrong, not a failure of the run.
var ErrUsage = errors.New("usage")

// Run measures the picked nodes and returns the merged set. The set is
// returned, with what was measured, also when ctx is cancelled (marked
// interrupted); everything the run made is removed before Run returns.
func Run(ctx context.Context, o Options) (set *results.FleetSet, err error) {
	if o.RunID == "" {
		var b [4]byte
		if _, err := rand.Read(b[:]); err != nil {
			return nil, fmt.Errorf("run id: %w", err)
		}
		o.RunID = hex.EncodeToString(b[:])
	}
	if o.Timeout <= 0 {
		return nil, fmt.Errorf("%w: a timeout must be positive", ErrUsage)
	}
	sel, err := labels.Parse(o.Selector)
	if err != nil {
		return nil, fmt.Errorf("%w: --selector %s: %v", ErrUsage, results.Shorten(o.Selector), err)
	}
	began := time.Now()
	say := func(format string, args ...any) {
		if o.Progress != nil {
			fmt.Fprintf(o.Progress, "fleet %s: %5.1f s: %s\n", o.RunID, time.Since(began).Seconds(), fmt.Sprintf(format, args...))
		}
	}
	set = &results.FleetSet{Schema: results.FleetSchema, Tool: results.ToolInfo(), RunID: o.RunID, Started: time.Now().UTC(), MeasureArgs: o.MeasureArgs}
	defer func() {
		if set == nil {
			return
		}
		set.Finished = time.Now().UTC()
		if ctx.Err() != nil {
			set.Interrupted = true
		}
	}()

	lctx, cancel := context.WithTimeout(ctx, apiTimeout)
	list, err := o.Conn.Client.CoreV1().Nodes().List(lctx, metav1.ListOptions{LabelSelector: sel.String()})
	cancel()
	if err != nil {
		return nil, fmt.Errorf("list nodes of %s: %w", o.Conn.Source, err)
	}
	nodes, err := pick(list.Items, o.Nodes, o.Selector)
	if err != nil {
		return nil, err
	}
	ref := ImageRef(o.RunID)
	var run []corev1.Node
	localImport := false
	for _, n := range nodes {
		switch {
		case !ready(n):
			set.Nodes = append(set.Nodes, results.FleetNode{Node: n.Name, Cause: "the node is not Ready and schedulable"})
		case k8s.IsLocalNode(n):
			localImport = true
			run = append(run, n)
		case hasImage(n, ref):
			run = append(run, n)
		default:
			set.Nodes = append(set.Nodes, results.FleetNode{Node: n.Name, Cause: fmt.Sprintf(
				"image %s is not on the node (Node.Status.Images) and cannot be imported from here: the harness's image is imported into this host's containerd only, with no registry; run fleet measure on that node, or import the image there", ref)})
		}
	}
	for _, fn := range set.Nodes {
		say("node %s not measured: %s", fn.Node, fn.Cause)
	}
	if len(run) == 0 {
		return set, nil
	}

	// From here on, everything made is removed on every path.
	hostDirExisted := exists(HostDir)
	ns := Namespace(o.RunID)
	defer func() {
		cerr := cleanup(context.WithoutCancel(ctx), o.Conn, ns, ref, localImport, hostDirExisted, o.RunID, say)
		if cerr != nil {
			err = errors.Join(err, cerr)
		}
	}()
	if localImport {
		say("building the harness image %s", ref)
		if err := importImage(ctx, o, ref); err != nil {
			return set, err
		}
		say("imported %s into the local node's containerd", ref)
	}
	cctx, cancel := context.WithTimeout(ctx, apiTimeout)
	_, err = o.Conn.Client.CoreV1().Namespaces().Create(cctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{
		Name: ns, Labels: map[string]string{k8s.RunLabel: o.RunID},
	}}, metav1.CreateOptions{})
	cancel()
	if err != nil {
		return set, fmt.Errorf("create namespace %s: %w", ns, err)
	}
	deadline := int64(o.Timeout / time.Second)
	if deadline < 1 {
		deadline = 1
	}
	jobs := map[string]string{} // job name → node
	started := map[string]time.Time{}
	for i, n := range run {
		name := jobName(o.RunID, i)
		cctx, cancel := context.WithTimeout(ctx, apiTimeout)
		_, err := o.Conn.Client.BatchV1().Jobs(ns).Create(cctx, jobFor(o.RunID, ns, name, n.Name, ref, deadline, o.MeasureArgs), metav1.CreateOptions{})
		cancel()
		if err != nil {
			return set, fmt.Errorf("create job %s for node %s: %w", name, n.Name, err)
		}
		jobs[name], started[name] = n.Name, time.Now()
		say("node %s: job %s created (deadline %s)", n.Name, name, o.Timeout)
	}
	// The Jobs' own deadline stops them; this one only keeps a lost
	// cluster from holding the run forever.
	wctx, wcancel := context.WithTimeout(ctx, o.Timeout+cleanupTimeout)
	defer wcancel()
	done, err := waitJobs(wctx, o.Conn, ns, jobs)
	if len(done) > 0 {
		say("%d of %d jobs finished; reading their logs", len(done), len(jobs))
	}
	for name, node := range jobs {
		j, ok := done[name]
		if !ok {
			continue
		}
		fn := collect(ctx, o.Conn, ns, j, node, o.RunID, o.Timeout)
		fn.ElapsedNS = int64(time.Since(started[name]))
		if c, ok := jobFinished(j); ok && !c.LastTransitionTime.IsZero() {
			fn.ElapsedNS = int64(c.LastTransitionTime.Sub(started[name]))
		}
		if fn.Measured {
			say("node %s: measured (exit %d)", node, deref(fn.ExitCode))
		} else {
			say("node %s not measured: %s", node, fn.Cause)
		}
		set.Nodes = append(set.Nodes, fn)
	}
	for name, node := range jobs {
		if _, ok := done[name]; !ok {
			cause := "the run stopped before the node's Job finished"
			if ctx.Err() == nil && err != nil {
				cause = err.Error()
			}
			set.Nodes = append(set.Nodes, results.FleetNode{Node: node, Cause: cause})
		}
	}
	slices.SortFunc(set.Nodes, func(a, b results.FleetNode) int { return strings.Compare(a.Node, b.Node) })
	if ctx.Err() != nil {
		return set, fmt.Errorf("fleet run %s interrupted: %w", o.RunID, ctx.Err())
	}
	if err != nil {
		return set, err
	}
	return set, nil
}

// pick applies --nodes to the listed nodes; names not found are an error.
func pick(all []corev1.Node, names []string, selector string) ([]corev1.Node, error) {
	if len(names) == 0 {
		if len(all) == 0 {
			if selector != "" {
				return nil, fmt.Errorf("no node matches the selector %s", results.Shorten(selector))
			}
			return nil, errors.New("the cluster has no node")
		}
		slices.SortFunc(all, func(a, b corev1.Node) int { return strings.Compare(a.Name, b.Name) })
		return all, nil
	}
	var out []corev1.Node
	for _, want := range names {
		found := false
		for _, n := range all {
			if n.Name == want {
				out = append(out, n)
				found = true
				break
			}
		}
		if !found {
			var have []string
			for _, n := range all {
				have = append(have, n.Name)
			}
			return nil, fmt.Errorf("%w: no node %s (selected: %s)", ErrUsage, results.Shorten(want), strings.Join(have, ", "))
		}
	}
	return out, nil
}

func ready(n corev1.Node) bool { return len(k8s.ReadyNodes([]corev1.Node{n})) == 1 }

func hasImage(n corev1.Node, ref string) bool {
	for _, im := range n.Status.Images {
		if slices.Contains(im.Names, ref) {
			return true
		}
	}
	return false
}

func exists(p string) bool { _, err := os.Lstat(p); return err == nil }

// importImage builds the harness's image (busybox, the harness, the
// probe, the mount points) and imports it into the local node.
func importImage(ctx context.Context, o Options, ref string) error {
	var files []ociimage.File
	for _, f := range []struct{ src, dst string }{{o.Busybox, imgBusybox}, {o.Harness, imgHarness}, {o.Probe, imgProbe}} {
		b, err := ociimage.ReadExecutable(f.src)
		if err != nil {
			return fmt.Errorf("harness image: %w", err)
		}
		files = append(files, ociimage.File{Name: f.dst, Data: b, Mode: 0o755})
	}
	for _, d := range []string{"proc", "dev", "sys", "tmp", strings.TrimPrefix(podDir, "/")} {
		files = append(files, ociimage.File{Name: d, Dir: true, Mode: 0o755})
	}
	layer, err := ociimage.FileLayer(files)
	if err != nil {
		return fmt.Errorf("harness image layer: %w", err)
	}
	im := ociimage.Image{Ref: ref, Layers: []ociimage.Layer{{Data: layer}}, Entrypoint: []string{imgBusybox, "sh"},
		Labels: map[string]string{"org.opencontainers.image.title": "agentic-eval fleet harness"}}
	if err := k8s.ImportLocal(ctx, im); err != nil {
		return fmt.Errorf("import the harness image into the local node: %w", err)
	}
	return nil
}

// jobFinished is the Job's Complete or Failed condition, if it has one.
func jobFinished(j *batchv1.Job) (batchv1.JobCondition, bool) {
	for _, c := range j.Status.Conditions {
		if (c.Type == batchv1.JobComplete || c.Type == batchv1.JobFailed) && c.Status == corev1.ConditionTrue {
			return c, true
		}
	}
	return batchv1.JobCondition{}, false
}

// waitJobs watches the run's Jobs until each has finished, and returns
// them by name; on ctx's end it returns those finished so far.
func waitJobs(ctx context.Context, conn *k8s.Conn, ns string, jobs map[string]string) (map[string]*batchv1.Job, error) {
	done := map[string]*batchv1.Job{}
	for len(done) < len(jobs) {
		lctx, cancel := context.WithTimeout(ctx, apiTimeout)
		list, err := conn.Client.BatchV1().Jobs(ns).List(lctx, metav1.ListOptions{})
		cancel()
		if err != nil {
			if ctx.Err() != nil {
				return done, ctx.Err()
			}
			return done, fmt.Errorf("list jobs of %s: %w", ns, err)
		}
		for i := range list.Items {
			j := &list.Items[i]
			if _, ours := jobs[j.Name]; ours {
				if _, ok := jobFinished(j); ok {
					done[j.Name] = j
				}
			}
		}
		if len(done) == len(jobs) {
			break
		}
		w, err := conn.Client.BatchV1().Jobs(ns).Watch(ctx, metav1.ListOptions{ResourceVersion: list.ResourceVersion})
		if err != nil {
			if ctx.Err() != nil {
				return done, ctx.Err()
			}
			return done, fmt.Errorf("watch jobs of %s: %w", ns, err)
		}
		for ev := range w.ResultChan() {
			if ev.Type == watch.Error {
				break // re-list
			}
			j, ok := ev.Object.(*batchv1.Job)
			if !ok {
				continue
			}
			if _, ours := jobs[j.Name]; !ours {
				continue
			}
			if _, fin := jobFinished(j); fin {
				done[j.Name] = j
			}
			if ev.Type == watch.Deleted {
				if _, got := done[j.Name]; !got {
					w.Stop()
					return done, fmt.Errorf("job %s was deleted before it finished", j.Name)
				}
			}
			if len(done) == len(jobs) {
				break
			}
		}
		w.Stop()
		if ctx.Err() != nil {
			return done, ctx.Err()
		}
	}
	return done, nil
}

// collect reads a finished Job's pod log and makes the node's entry.
func collect(ctx context.Context, conn *k8s.Conn, ns string, j *batchv1.Job, node, runID string, timeout time.Duration) results.FleetNode {
	fn := results.FleetNode{Node: node}
	cond, _ := jobFinished(j)
	lctx, cancel := context.WithTimeout(ctx, apiTimeout)
	pods, err := conn.Client.CoreV1().Pods(ns).List(lctx, metav1.ListOptions{LabelSelector: "batch.kubernetes.io/job-name=" + j.Name})
	cancel()
	if err != nil || len(pods.Items) == 0 {
		fn.Cause = fmt.Sprintf("job %s finished (%s: %s) with no pod left to read", j.Name, cond.Reason, oneLine(cond.Message))
		if cond.Reason == "DeadlineExceeded" {
			fn.Cause = fmt.Sprintf("timed out: the Job ran past --timeout %s and was stopped", timeout)
		}
		return fn
	}
	pod := pods.Items[0]
	for _, cs := range pod.Status.ContainerStatuses {
		if cs.State.Terminated != nil {
			fn.ExitCode = ptr(int(cs.State.Terminated.ExitCode))
		}
	}
	log, lerr := readLog(ctx, conn, ns, pod.Name)
	if lerr != nil {
		fn.Cause = fmt.Sprintf("read the log of pod %s: %v", pod.Name, lerr)
		return fn
	}
	res, perr := ParseLog(log, runID)
	if perr != nil {
		why := perr.Error()
		if cond.Reason == "DeadlineExceeded" {
			why = fmt.Sprintf("timed out after --timeout %s", timeout)
		}
		fn.Cause = fmt.Sprintf("%s; the pod %s ended %s (%s); its log ends: %s", why, pod.Name, pod.Status.Phase, cond.Reason, tail(log, 3))
		return fn
	}
	res.Node = node
	fn.Measured, fn.Results = true, res
	return fn
}

// readLog reads the harness container's log, at most logLimit bytes.
func readLog(ctx context.Context, conn *k8s.Conn, ns, pod string) ([]byte, error) {
	lctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	rc, err := conn.Client.CoreV1().Pods(ns).GetLogs(pod, &corev1.PodLogOptions{Container: "harness", LimitBytes: ptr(int64(logLimit))}).Stream(lctx)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, logLimit+1))
	if err != nil {
		return nil, err
	}
	return b, nil
}

// cleanup deletes the run's Jobs and namespace and waits until they are
// gone, removes the image from the local node and the run's directory on
// this host (the pod removes its own; this is for a pod stopped hard).
func cleanup(ctx context.Context, conn *k8s.Conn, ns, ref string, imported, hostDirExisted bool, runID string, say func(string, ...any)) error {
	ctx, cancel := context.WithTimeout(ctx, cleanupTimeout)
	defer cancel()
	say("cleaning up: the jobs, the namespace %s, the image", ns)
	var errs []error
	bg := metav1.DeletePropagationBackground
	err := conn.Client.BatchV1().Jobs(ns).DeleteCollection(ctx, metav1.DeleteOptions{PropagationPolicy: &bg}, metav1.ListOptions{LabelSelector: k8s.RunLabel + "=" + runID})
	if err != nil && !apierrors.IsNotFound(err) {
		errs = append(errs, fmt.Errorf("delete the jobs of %s: %w", ns, err))
	}
	err = conn.Client.CoreV1().Namespaces().Delete(ctx, ns, metav1.DeleteOptions{PropagationPolicy: &bg})
	if err != nil && !apierrors.IsNotFound(err) {
		errs = append(errs, fmt.Errorf("delete namespace %s: %w", ns, err))
	}
	if err == nil || apierrors.IsNotFound(err) {
		werr := wait.PollUntilContextCancel(ctx, 250*time.Millisecond, true, func(ctx context.Context) (bool, error) {
			_, err := conn.Client.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
			return apierrors.IsNotFound(err), nil
		})
		if werr != nil {
			errs = append(errs, fmt.Errorf("namespace %s still there after %s: its pods did not stop", ns, cleanupTimeout))
		}
	}
	if imported {
		if err := k8s.RemoveLocal(ctx, ref); err != nil {
			errs = append(errs, fmt.Errorf("remove the harness image %s: %w", ref, err))
		}
		dir := filepath.Join(HostDir, runID)
		if err := os.RemoveAll(dir); err != nil {
			errs = append(errs, fmt.Errorf("remove %s: %w", dir, err))
		}
		if !hostDirExisted {
			os.Remove(HostDir) // only if empty: another run may be in it
		}
	}
	if len(errs) == 0 {
		say("removed the namespace %s, its jobs and pods, and the image", ns)
	}
	return errors.Join(errs...)
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func deref(p *int) int {
	if p == nil {
		return -1
	}
	return *p
}

// CheckSelector says whether s is a label selector.
func CheckSelector(s string) error {
	if _, err := labels.Parse(s); err != nil {
		return fmt.Errorf("--selector %s: %v", results.Shorten(s), err)
	}
	return nil
}

// writeJSON writes the set as the CLI does: indented, one document.
func writeJSON(w io.Writer, set *results.FleetSet) error {
	b, err := json.MarshalIndent(set, "", "  ")
	if err != nil {
		return fmt.Errorf("encode the fleet set: %w", err)
	}
	_, err = w.Write(append(b, '\n'))
	return err
}
