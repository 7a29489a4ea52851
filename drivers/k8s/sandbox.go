package k8s

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/util/httpstream"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/remotecommand"

	"github.com/agentic-eval/agentic-eval/driver"
)

// container is the probe's container name in every pod.
const container = "probe"

// startTimeout bounds a pod's way from create to the probe's ready line
// when the caller's context has no earlier deadline.
const startTimeout = 2 * time.Minute

// Phase names of a start, in order, as measure.Phases reports them.
const (
	PhaseAccepted  = "accepted"  // the API server answered the create
	PhaseScheduled = "scheduled" // PodScheduled became True
	PhaseSandbox   = "sandbox"   // PodReadyToStartContainers: the pod sandbox and its network exist
	PhaseStarted   = "started"   // the probe's container is running
	PhaseReady     = "ready"     // the pod's Ready condition is True
	PhaseProbe     = "probe"     // the probe's ready line read through the pod's log
	// PhasePrinted is when the probe wrote its ready line, by the
	// timestamp the node's runtime gave the log line: the runtime's own
	// work, apart from the kubelet's status report and the API's watch
	// (on another node, that node's clock).
	PhasePrinted = "printed"
)

// sandbox is one pod.
type sandbox struct {
	d    *Driver
	conn *Conn
	ns   string
	name string
	uid  string

	asked  time.Time
	phases []driver.Stage

	mu       sync.Mutex
	attachIn *io.PipeWriter // the harness's writes, fed to the attach's stdin
	attachGo sync.Once
	cancel   context.CancelFunc // ends the attach stream
	out      *io.PipeWriter     // what the harness reads
	done     bool
}

var _ driver.StageReporter = (*sandbox)(nil)

func (s *sandbox) ID() string { return s.name }

// Stages are the moments of the start, from the request to the runtime.
func (s *sandbox) Stages() []driver.Stage { return append([]driver.Stage(nil), s.phases...) }

func (s *sandbox) mark(name string) {
	s.phases = append(s.phases, driver.Stage{Name: name, After: time.Since(s.asked)})
}

// Start creates the probe's pod in the run's namespace, pinned to the local
// node, and follows it through the watch to the probe's ready line, which
// it reads from the pod's log. The probe's input and the rest of its
// output go through the pod's attach, opened when the harness first writes
// to the probe: an agent that only waits for readiness pays for no attach.
func (d *Driver) Start(ctx context.Context, spec driver.Spec) (driver.Sandbox, error) {
	if err := checkSpec(spec); err != nil {
		return nil, err
	}
	conn, err := d.connected()
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	ns, node, class, probeRef, imageRef := d.namespace, d.node, d.class, d.probeRef, d.imageRef
	d.mu.Unlock()
	if ns == "" || probeRef == "" {
		return nil, errors.New("the run is not prepared: no namespace or probe image")
	}
	ref := probeRef
	if !spec.Image.IsZero() {
		if imageRef == "" {
			return nil, errors.New("the run's sandbox image was not imported (Prepare had no image)")
		}
		ref = imageRef
	}
	pod := podFor(spec, ns, d.runID, node, class, ref)

	outR, outW := io.Pipe()
	inR, inW := io.Pipe()
	s := &sandbox{d: d, conn: conn, ns: ns, name: spec.ID, out: outW, attachIn: inW}
	spec.Attach(outR, &lazyWriter{s: s, w: inW, in: inR})

	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, startTimeout)
		defer cancel()
	}
	pods := conn.Client.CoreV1().Pods(ns)
	// The watch starts before the create, so that no transition is missed.
	w, err := pods.Watch(ctx, metav1.ListOptions{FieldSelector: fields.OneTermEqualSelector("metadata.name", spec.ID).String()})
	if err != nil {
		s.closeStreams(err)
		return nil, fmt.Errorf("watch pod %s/%s: %w", ns, spec.ID, err)
	}
	defer w.Stop()
	if spec.Asking != nil {
		spec.Asking()
	}
	s.asked = time.Now()
	created, err := pods.Create(ctx, pod, metav1.CreateOptions{})
	if err != nil {
		s.closeStreams(err)
		var status apierrors.APIStatus
		if !errors.As(err, &status) {
			// No answer (the context ended, the connection broke): the
			// create may still land, so the pod is removed in the
			// background, and Settle waits for that.
			d.removeLate(conn, ns, spec.ID)
		}
		// An answer means nothing was created (a pod of that name may be
		// a live sandbox's): nothing to remove.
		return nil, fmt.Errorf("create pod %s/%s: %w", ns, spec.ID, err)
	}
	s.uid = string(created.UID)
	s.mark(PhaseAccepted)
	fail := func(err error) (driver.Sandbox, error) {
		s.closeStreams(err)
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), deleteTimeout)
		defer cancel()
		if derr := s.Destroy(dctx); derr != nil {
			err = fmt.Errorf("%w (and its removal: %v)", err, derr)
		}
		return nil, err
	}
	if err := s.follow(ctx, w); err != nil {
		return fail(fmt.Errorf("start pod %s/%s: %w", ns, spec.ID, err))
	}
	line, printed, err := s.readyLine(ctx)
	if err != nil {
		return fail(fmt.Errorf("pod %s/%s: the probe's ready line: %w", ns, spec.ID, err))
	}
	s.mark(PhaseProbe)
	if !printed.IsZero() {
		s.phases = append(s.phases, driver.Stage{Name: PhasePrinted, After: printed.Sub(s.asked)})
	}
	go func() {
		// The harness reads the ready line here; the pipe blocks until it
		// does, which must not hold up Start.
		if _, err := s.out.Write(line); err != nil {
			return
		}
	}()
	return s, nil
}

// checkSpec refuses a spec that cannot name a pod or has nowhere to send
// the probe's streams.
func checkSpec(spec driver.Spec) error {
	if errs := validation.IsDNS1123Label(spec.ID); len(errs) > 0 {
		return fmt.Errorf("sandbox ID %q cannot name a pod: %s", spec.ID, strings.Join(errs, "; "))
	}
	if spec.Attach == nil {
		return fmt.Errorf("sandbox %s: the spec has no Attach for the probe's streams", spec.ID)
	}
	return nil
}

// podFor is the probe's pod: one container, stdin open for the probe's
// protocol (attach), a memory-backed /work for the image, no service
// account token, no service links, no restarts, a one-second grace.
func podFor(spec driver.Spec, ns, runID, node, class, ref string) *corev1.Pod {
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: spec.ID, Namespace: ns, Labels: map[string]string{RunLabel: runID, SandboxLabel: spec.ID}},
		Spec: corev1.PodSpec{
			RestartPolicy:                 corev1.RestartPolicyNever,
			TerminationGracePeriodSeconds: ptr(int64(1)),
			AutomountServiceAccountToken:  ptr(false),
			EnableServiceLinks:            ptr(false),
			DNSPolicy:                     corev1.DNSDefault,
			Containers: []corev1.Container{{
				Name: container, Image: ref, ImagePullPolicy: corev1.PullNever,
				Command: []string{probePath}, Args: spec.Args,
				Stdin: true, TerminationMessagePolicy: corev1.TerminationMessageFallbackToLogsOnError,
			}},
		},
	}
	if class != "" {
		pod.Spec.RuntimeClassName = ptr(class)
	}
	if node != "" {
		pod.Spec.NodeSelector = map[string]string{"kubernetes.io/hostname": node}
	}
	if !spec.Image.IsZero() {
		pod.Spec.Volumes = []corev1.Volume{{Name: "work", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{
			Medium: corev1.StorageMediumMemory, SizeLimit: ptr(resource.MustParse("256Mi")),
		}}}}
		pod.Spec.Containers[0].VolumeMounts = []corev1.VolumeMount{{Name: "work", MountPath: "/work"}}
	}
	return pod
}

// follow reads the watch until the probe's container runs and the pod is
// Ready, marking each phase the first time it is seen, and fails at once
// on a state that cannot become Ready (a failed pod, an image the node does
// not have, a container that ended).
func (s *sandbox) follow(ctx context.Context, w watch.Interface) error {
	seen := map[string]bool{}
	why := "" // the last reason the pod gave for not going on
	see := func(name string) {
		if !seen[name] {
			seen[name] = true
			s.mark(name)
		}
	}
	// The kubelet reports a sandbox it cannot create only as an event,
	// and retries: a second such event is the runtime's answer.
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-tick.C:
			if err := s.sandboxFailure(ctx); err != nil {
				return err
			}
			continue
		case <-ctx.Done():
			if why != "" {
				return fmt.Errorf("waiting for Ready (seen: %s; last: %s): %w", seenList(s.phases), why, context.Cause(ctx))
			}
			return fmt.Errorf("waiting for Ready (seen: %s): %w", seenList(s.phases), context.Cause(ctx))
		case ev, ok := <-w.ResultChan():
			if !ok {
				return errors.New("the watch ended before the pod was Ready")
			}
			if ev.Type == watch.Error {
				return fmt.Errorf("watch: %v", apierrors.FromObject(ev.Object))
			}
			pod, ok := ev.Object.(*corev1.Pod)
			if !ok {
				continue
			}
			if ev.Type == watch.Deleted {
				return errors.New("the pod was deleted before it was Ready")
			}
			for _, c := range pod.Status.Conditions {
				if c.Status != corev1.ConditionTrue {
					if c.Reason != "" {
						why = fmt.Sprintf("%s %s: %s", c.Type, c.Reason, oneLineStr(c.Message))
					}
					continue
				}
				switch c.Type {
				case corev1.PodScheduled:
					see(PhaseScheduled)
				case corev1.PodReadyToStartContainers:
					see(PhaseSandbox)
				}
			}
			for _, cs := range pod.Status.ContainerStatuses {
				if cs.State.Running != nil {
					see(PhaseStarted)
				}
				if t := cs.State.Terminated; t != nil {
					return fmt.Errorf("the probe's container ended (exit %d, %s): %s", t.ExitCode, t.Reason, oneLineStr(t.Message))
				}
				if wt := cs.State.Waiting; wt != nil && permanentWaiting(wt.Reason) {
					return fmt.Errorf("the probe's container cannot start: %s: %s", wt.Reason, oneLineStr(wt.Message))
				}
			}
			if pod.Status.Phase == corev1.PodFailed {
				return fmt.Errorf("the pod failed: %s: %s", pod.Status.Reason, oneLineStr(pod.Status.Message))
			}
			for _, c := range pod.Status.Conditions {
				if c.Type == corev1.PodReady && c.Status == corev1.ConditionTrue {
					see(PhaseReady)
					return nil
				}
			}
		}
	}
}

// sandboxFailure is the kubelet's FailedCreatePodSandBox (or a runtime
// class it cannot find) once it has happened twice, with the runtime's
// message.
func (s *sandbox) sandboxFailure(ctx context.Context) error {
	cctx, cancel := context.WithTimeout(ctx, apiTimeout)
	defer cancel()
	evs, err := s.conn.Client.CoreV1().Events(s.ns).List(cctx, metav1.ListOptions{FieldSelector: fields.Set{
		"involvedObject.name": s.name, "involvedObject.uid": s.uid,
	}.AsSelector().String()})
	if err != nil {
		return nil // the watch decides; events are only the early answer
	}
	count := map[string]int32{}
	for _, e := range evs.Items {
		if e.Type != corev1.EventTypeWarning {
			continue
		}
		switch e.Reason {
		case "FailedCreatePodSandBox", "FailedMount", "Failed":
		default:
			continue
		}
		n := e.Count
		if n < 1 {
			n = 1
		}
		count[e.Reason] += n
		if count[e.Reason] >= 2 {
			return fmt.Errorf("%s (the kubelet tried %d times): %s", e.Reason, count[e.Reason], oneLineStr(e.Message))
		}
	}
	return nil
}

// permanentWaiting are the waiting reasons a pod does not recover from
// without a change: the figure would be a timeout, so the cause is given.
func permanentWaiting(reason string) bool {
	switch reason {
	case "ErrImageNeverPull", "InvalidImageName", "CreateContainerConfigError", "CreateContainerError", "RunContainerError", "CrashLoopBackOff", "ImagePullBackOff", "ErrImagePull":
		return true
	}
	return false
}

// readyLine reads the probe's first line from the pod's log (followed, so
// that a line not yet written is waited for), with the timestamp the
// node's runtime recorded for it.
func (s *sandbox) readyLine(ctx context.Context) ([]byte, time.Time, error) {
	req := s.conn.Client.CoreV1().Pods(s.ns).GetLogs(s.name, &corev1.PodLogOptions{Container: container, Follow: true, Timestamps: true, LimitBytes: ptr(int64(4096))})
	rc, err := req.Stream(ctx)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("log: %w", err)
	}
	defer rc.Close()
	raw, err := bufio.NewReader(rc).ReadBytes('\n')
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("log: %q then %w", raw, err)
	}
	line, at := splitTimestamp(raw)
	return line, at, nil
}

// splitTimestamp splits a log line of the API's timestamps=true form
// ("2026-12-02T05:56:55.123456789Z text") into the text and the time; a
// line without one is returned whole, with the zero time.
func splitTimestamp(raw []byte) ([]byte, time.Time) {
	i := bytes.IndexByte(raw, ' ')
	if i <= 0 {
		return raw, time.Time{}
	}
	at, err := time.Parse(time.RFC3339Nano, string(raw[:i]))
	if err != nil {
		return raw, time.Time{}
	}
	return raw[i+1:], at
}

// lazyWriter opens the pod's attach on the harness's first write.
type lazyWriter struct {
	s  *sandbox
	w  *io.PipeWriter
	in *io.PipeReader
}

func (l *lazyWriter) Write(p []byte) (int, error) {
	l.s.attachGo.Do(func() { l.s.attach(l.in) })
	return l.w.Write(p)
}

func (l *lazyWriter) Close() error { return l.w.Close() }

// attach streams the probe's stdin from in and its stdout into the
// harness's pipe, until Destroy ends it.
func (s *sandbox) attach(in io.Reader) {
	ctx, cancel := context.WithCancel(context.Background())
	s.mu.Lock()
	if s.done {
		s.mu.Unlock()
		cancel()
		return
	}
	s.cancel = cancel
	s.mu.Unlock()
	req := s.conn.Client.CoreV1().RESTClient().Post().Resource("pods").Namespace(s.ns).Name(s.name).SubResource("attach").
		VersionedParams(&corev1.PodAttachOptions{Container: container, Stdin: true, Stdout: true, Stderr: false}, scheme.ParameterCodec)
	ex, err := executor(s.conn, req.URL())
	if err != nil {
		s.closeStreams(fmt.Errorf("attach %s/%s: %w", s.ns, s.name, err))
		return
	}
	go func() {
		err := ex.StreamWithContext(ctx, remotecommand.StreamOptions{Stdin: in, Stdout: s.out})
		if err == nil {
			err = io.EOF
		} else {
			err = fmt.Errorf("attach %s/%s: %w", s.ns, s.name, streamFailure(ctx, err))
		}
		s.closeStreams(err)
	}()
}

// executor is the API's streaming client: WebSocket first, SPDY where the
// server refuses the upgrade.
func executor(conn *Conn, u *url.URL) (remotecommand.Executor, error) {
	ws, err := remotecommand.NewWebSocketExecutor(conn.Config, "GET", u.String())
	if err != nil {
		return nil, err
	}
	spdy, err := remotecommand.NewSPDYExecutor(conn.Config, "POST", u)
	if err != nil {
		return nil, err
	}
	return remotecommand.NewFallbackExecutor(ws, spdy, func(err error) bool {
		return httpstream.IsUpgradeFailure(err) || httpstream.IsHTTPSProxyError(err)
	})
}

func (s *sandbox) closeStreams(err error) {
	if err == nil {
		err = io.EOF
	}
	s.out.CloseWithError(err)
	s.attachIn.CloseWithError(err)
}

// Exec runs the probe again in the pod through the API's exec and returns
// its stdout.
func (s *sandbox) Exec(ctx context.Context, args ...string) ([]byte, error) {
	req := s.conn.Client.CoreV1().RESTClient().Post().Resource("pods").Namespace(s.ns).Name(s.name).SubResource("exec").
		VersionedParams(&corev1.PodExecOptions{Container: container, Command: append([]string{probePath}, args...), Stdout: true, Stderr: true}, scheme.ParameterCodec)
	ex, err := executor(s.conn, req.URL())
	if err != nil {
		return nil, fmt.Errorf("exec in %s/%s: %w", s.ns, s.name, err)
	}
	var out, errb bytes.Buffer
	if err := ex.StreamWithContext(ctx, remotecommand.StreamOptions{Stdout: &out, Stderr: &errb}); err != nil {
		err = streamFailure(ctx, err)
		msg := strings.TrimSpace(errb.String())
		if msg != "" {
			return out.Bytes(), fmt.Errorf("exec in %s/%s: %w: %s", s.ns, s.name, err, lastLine(msg))
		}
		return out.Bytes(), fmt.Errorf("exec in %s/%s: %w", s.ns, s.name, err)
	}
	return out.Bytes(), nil
}

// Destroy deletes the pod (with its one-second grace: the probe ends on
// SIGTERM) and waits until the API no longer has it, which is when the
// kubelet has stopped its containers and removed its sandbox.
func (s *sandbox) Destroy(ctx context.Context) error {
	s.mu.Lock()
	if s.done {
		s.mu.Unlock()
		return nil
	}
	s.done = true
	cancel := s.cancel
	s.mu.Unlock()
	if cancel != nil {
		cancel()
	}
	s.closeStreams(errors.New("the sandbox was destroyed"))
	return deletePod(ctx, s.conn, s.ns, s.name)
}

// deletePod deletes the pod and waits until the API no longer has it; a
// pod already gone is not an error.
func deletePod(ctx context.Context, conn *Conn, ns, name string) error {
	pods := conn.Client.CoreV1().Pods(ns)
	w, werr := pods.Watch(ctx, metav1.ListOptions{FieldSelector: fields.OneTermEqualSelector("metadata.name", name).String()})
	if werr == nil {
		defer w.Stop()
	}
	err := pods.Delete(ctx, name, metav1.DeleteOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("delete pod %s/%s: %w", ns, name, err)
	}
	if werr != nil {
		return fmt.Errorf("watch pod %s/%s for its deletion: %w", ns, name, werr)
	}
	if _, ok := ctx.Deadline(); !ok {
		var c context.CancelFunc
		ctx, c = context.WithTimeout(ctx, deleteTimeout)
		defer c()
	}
	for {
		select {
		case <-ctx.Done():
			return fmt.Errorf("pod %s/%s not gone after its delete: %w", ns, name, context.Cause(ctx))
		case ev, ok := <-w.ResultChan():
			if !ok {
				// The watch ended early: ask once.
				if _, err := pods.Get(ctx, name, metav1.GetOptions{}); apierrors.IsNotFound(err) {
					return nil
				}
				return fmt.Errorf("pod %s/%s: the watch ended before its deletion", ns, name)
			}
			if ev.Type == watch.Deleted {
				return nil
			}
		}
	}
}

// HostPIDs are the pod's processes on this node (found by the pod's
// cgroup) and their containerd shims (their parents outside it).
func (s *sandbox) HostPIDs(ctx context.Context) ([]int, error) {
	if s.uid == "" {
		return nil, errors.New("the pod has no UID")
	}
	pids, err := podPIDs(s.uid)
	if err != nil {
		return nil, err
	}
	if len(pids) == 0 {
		return nil, fmt.Errorf("no process of pod %s/%s found on this host", s.ns, s.name)
	}
	in := map[int]bool{}
	for _, p := range pids {
		in[p] = true
	}
	for _, p := range pids {
		pp := ppid(p)
		if pp > 1 && !in[pp] && strings.HasPrefix(comm(pp), "containerd-shim") {
			in[pp] = true
			pids = append(pids, pp)
		}
	}
	return pids, nil
}

// MemoryCgroup is the pod's memory cgroup on this node: the kubelet's
// cgroupfs layout (kubepods/<qos>/pod<uid>), in cgroup v1's memory
// hierarchy or cgroup v2's unified one.
func (s *sandbox) MemoryCgroup(ctx context.Context) (string, error) {
	for _, root := range []string{"/sys/fs/cgroup/memory", "/sys/fs/cgroup"} {
		for _, qos := range []string{"besteffort", "burstable", ""} {
			p := filepath.Join(root, "kubepods", qos, "pod"+s.uid)
			if st, err := os.Stat(p); err == nil && st.IsDir() {
				return p, nil
			}
		}
	}
	return "", nil
}

// podPIDs scans /proc for processes whose cgroup names the pod.
func podPIDs(uid string) ([]int, error) {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil, err
	}
	needle := "pod" + uid
	var out []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cgroup"))
		if err != nil {
			continue
		}
		if bytes.Contains(b, []byte(needle)) {
			out = append(out, pid)
		}
	}
	return out, nil
}

func ppid(pid int) int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 2 {
		return 0
	}
	n, _ := strconv.Atoi(f[1])
	return n
}

func comm(pid int) string {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
	return strings.TrimSpace(string(b))
}

func seenList(marks []driver.Stage) string {
	var names []string
	for _, m := range marks {
		names = append(names, m.Name)
	}
	if len(names) == 0 {
		return "nothing"
	}
	return strings.Join(names, ", ")
}

func oneLineStr(s string) string { return strings.Join(strings.Fields(s), " ") }

// isUnreachable reports whether err is a connection failure (no cluster
// answers), as opposed to an answer.
func isUnreachable(err error) bool {
	var ne net.Error
	var oe *net.OpError
	return errors.Is(err, driver.ErrUnreachable) || errors.As(err, &ne) || errors.As(err, &oe)
}

// removeLate deletes a pod whose create got no answer, for as long as it
// might still appear: it is deleted when found, and given up on once it
// has been absent for two seconds in a row (or after cleanupTimeout).
func (d *Driver) removeLate(conn *Conn, ns, name string) {
	d.pending.Add(1)
	go func() {
		defer d.pending.Done()
		ctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
		defer cancel()
		pods := conn.Client.CoreV1().Pods(ns)
		absent := 0
		for absent < 10 && ctx.Err() == nil {
			_, err := pods.Get(ctx, name, metav1.GetOptions{})
			switch {
			case apierrors.IsNotFound(err):
				absent++
			case err == nil:
				absent = 0
				_ = deletePod(ctx, conn, ns, name)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}()
}

// Settle waits until the removals of pods whose create got no answer are
// done.
func (d *Driver) Settle(ctx context.Context) error {
	done := make(chan struct{})
	go func() { d.pending.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("k8s: background pod removals not done: %w", context.Cause(ctx))
	}
}
