package k8s

import (
	"context"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"

	"github.com/agentic-eval/agentic-eval/driver"
)

// closedAddr is a loopback address where nothing listens: a port taken
// and released.
func closedAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// An API server that cannot be reached is driver.ErrUnreachable, through
// the REST calls (apiDialer) and through the exec stream client-go dials
// itself (streamFailure).
func TestUnreachableAPIServerIsErrUnreachable(t *testing.T) {
	conn, err := newConn(&rest.Config{Host: "https://" + closedAddr(t), TLSClientConfig: rest.TLSClientConfig{Insecure: true}}, "test")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	pods := conn.Client.CoreV1().Pods("ae-test")
	out, in := io.Pipe()
	defer out.Close()
	s := &sandbox{conn: conn, ns: "ae-test", name: "ae-0a1b2c3d-000001", out: in, attachIn: in}
	for op, run := range map[string]func() error{
		"list":   func() error { _, err := pods.List(ctx, metav1.ListOptions{}); return err },
		"watch":  func() error { _, err := pods.Watch(ctx, metav1.ListOptions{}); return err },
		"delete": func() error { return deletePod(ctx, conn, "ae-test", "ae-0a1b2c3d-000001") },
		"exec":   func() error { _, err := s.Exec(ctx, "ready"); return err },
	} {
		err := run()
		if err == nil {
			t.Errorf("%s: no error from an API server that is not there", op)
			continue
		}
		if !errors.Is(err, driver.ErrUnreachable) {
			t.Errorf("%s: %v is not driver.ErrUnreachable", op, err)
		}
		if !isUnreachable(err) {
			t.Errorf("%s: isUnreachable(%v) = false", op, err)
		}
	}
}

// A dial the caller's context ended is no unreachable server.
func TestDialEndedByTheContextIsNoUnreachableServer(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := apiDialer(nil)(ctx, "tcp", closedAddr(t))
	if err == nil || errors.Is(err, driver.ErrUnreachable) {
		t.Errorf("dial with an ended context: %v, want an error that is not ErrUnreachable", err)
	}
	if err := streamFailure(ctx, &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("refused")}); errors.Is(err, driver.ErrUnreachable) {
		t.Errorf("stream dial with an ended context: %v is ErrUnreachable", err)
	}
}
