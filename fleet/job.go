package fleet

import (
	"encoding/json"
	"fmt"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/agentic-eval/agentic-eval/drivers/k8s"
	"github.com/agentic-eval/agentic-eval/results"
)

// HostDir is the directory on each node the Job's pod mounts (hostPath,
// created if missing); the run's binaries and document live in
// HostDir/<run> while it runs.
const HostDir = "/var/lib/agentic-eval/fleet"

// podDir is where the pod sees HostDir.
const podDir = "/fleet"

// Paths in the harness's image.
const (
	imgBusybox = "/busybox"
	imgHarness = "/agentic-eval"
	imgProbe   = "/sandbox-probe"
)

// NodeAnnotation names the node a Job measures (node names may be longer
// than a label value).
const NodeAnnotation = "agentic-eval/node"

// script is the pod's program, run by busybox sh with the run's ID and
// the node's measure arguments as its positional parameters. It copies
// the binaries to the host, enters the host's namespaces (pid 1's, or the
// kubelet's where pid 1's cannot be opened, as in a microVM whose init is
// not dumpable), runs `vms measure` there, prints the document between
// the markers and removes the directory; on SIGTERM (the Job deleted or
// past its deadline) it stops the harness, which removes what it made,
// and removes the directory too.
const script = `set -u
run=$1; shift
P=` + podDir + `/$run
D=` + HostDir + `/$run
bb=` + imgBusybox + `
pid=
stop() {
	if [ -n "$pid" ]; then $bb kill -TERM "$pid" 2>/dev/null; wait "$pid"; fi
	$bb rm -rf "$P"
	exit 143
}
trap stop TERM INT
$bb mkdir -p "$P" || exit 1
if ! $bb cp ` + imgHarness + ` ` + imgProbe + ` $bb "$P"/; then $bb rm -rf "$P"; exit 1; fi
t=1
if ! $bb nsenter -F -t 1 -m -- "$D/busybox" true 2>/dev/null; then
	t=$($bb pidof kubelet)
	t=${t%% *}
	if [ -z "$t" ]; then
		echo "fleet: cannot open pid 1's namespaces and no kubelet process to enter the host's through" >&2
		$bb rm -rf "$P"; exit 1
	fi
	echo "fleet: pid 1's namespaces cannot be opened; entering the host's through the kubelet's (pid $t)" >&2
fi
AGENTIC_EVAL_PROBE="$D/sandbox-probe" $bb nsenter -F -t "$t" -m -u -i -n -p -w"$P" -- "$D/agentic-eval" vms measure "$@" --out "$D/results.json" 1>&2 &
pid=$!
wait "$pid"
rc=$?
pid=
if [ -f "$P/results.json" ]; then
	echo "$FLEET_BEGIN"
	$bb cat "$P/results.json"
	echo "$FLEET_END"
fi
$bb rm -rf "$P"
exit $rc
`

// jobFor is the Job that measures one node: pinned to it, privileged, in
// the host's namespaces, never retried, stopped at the deadline.
func jobFor(runID, ns, name, node, ref string, deadline int64, args []string) *batchv1.Job {
	labels := map[string]string{k8s.RunLabel: runID}
	hostPathType := corev1.HostPathDirectoryOrCreate
	f := false
	t := true
	return &batchv1.Job{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: labels, Annotations: map[string]string{NodeAnnotation: node}},
		Spec: batchv1.JobSpec{
			BackoffLimit:          ptr(int32(0)),
			ActiveDeadlineSeconds: ptr(deadline),
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels, Annotations: map[string]string{NodeAnnotation: node}},
				Spec: corev1.PodSpec{
					NodeName:                      node,
					HostPID:                       true,
					HostNetwork:                   true,
					HostIPC:                       true,
					RestartPolicy:                 corev1.RestartPolicyNever,
					AutomountServiceAccountToken:  &f,
					EnableServiceLinks:            &f,
					TerminationGracePeriodSeconds: ptr(int64(60)),
					Tolerations:                   []corev1.Toleration{{Operator: corev1.TolerationOpExists}},
					Volumes: []corev1.Volume{{Name: "fleet", VolumeSource: corev1.VolumeSource{
						HostPath: &corev1.HostPathVolumeSource{Path: HostDir, Type: &hostPathType},
					}}},
					Containers: []corev1.Container{{
						Name:            "harness",
						Image:           ref,
						ImagePullPolicy: corev1.PullNever,
						Command:         append([]string{imgBusybox, "sh", "-c", script, "fleet", runID}, args...),
						Env: []corev1.EnvVar{
							{Name: "FLEET_BEGIN", Value: beginMarker(runID)},
							{Name: "FLEET_END", Value: endMarker(runID)},
						},
						SecurityContext: &corev1.SecurityContext{Privileged: &t},
						VolumeMounts:    []corev1.VolumeMount{{Name: "fleet", MountPath: podDir}},
					}},
				},
			},
		},
	}
}

func ptr[T any](v T) *T { return &v }

func jobName(runID string, i int) string { return fmt.Sprintf("ae-%s-node-%d", runID, i) }

// SettingsFlag is the `vms measure` flag that takes the run's settings as
// one JSON document (results.Settings): a fleet ships its settings to the
// nodes as data, never as flags re-parsed on the way.
const SettingsFlag = "--settings-json"

// NodeArgs are the arguments of every node's `vms measure`: the settings
// as JSON, --skip-unavailable when asked, then the variants (none: every
// variant the node has, but the Kubernetes ones, which would measure the
// cluster from inside itself).
func NodeArgs(s results.Settings, variants []string, skipUnavailable bool) ([]string, error) {
	if err := s.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUsage, err)
	}
	b, err := json.Marshal(s)
	if err != nil {
		return nil, fmt.Errorf("encode the settings: %w", err)
	}
	args := []string{SettingsFlag, string(b)}
	if skipUnavailable {
		args = append(args, "--skip-unavailable")
	}
	return append(args, variants...), nil
}
