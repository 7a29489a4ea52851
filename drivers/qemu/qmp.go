package qemu

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"syscall"
	"time"

	"github.com/digitalocean/go-qemu/qmp"

	"github.com/agentic-eval/agentic-eval/driver"
)

// monitor is a QMP connection whose commands are bounded by a context.
type monitor struct {
	mu     sync.Mutex
	mon    *qmp.SocketMonitor
	closed bool
}

// dialQMP connects to the QMP socket at path and does the capabilities
// handshake. It retries while QEMU has not yet created the socket, until
// ctx ends or exited is closed.
func dialQMP(ctx context.Context, path string, exited <-chan struct{}) (*monitor, error) {
	var last error
	for {
		mon, err := qmp.NewSocketMonitor("unix", path, time.Second)
		if err == nil {
			if err = connectBounded(ctx, mon); err == nil {
				return &monitor{mon: mon}, nil
			}
		}
		last = err
		select {
		case <-ctx.Done():
			return nil, retriedUntil(ctx, "connect qmp "+path, "last error", last)
		case <-exited:
			// QEMU's exit is the cause, typed by the caller from its log
			// and exit status, not the refusals of its socket after it.
			return nil, fmt.Errorf("connect qmp %s: qemu exited (last error: %v)", path, last)
		case <-time.After(5 * time.Millisecond):
		}
	}
}

func connectBounded(ctx context.Context, mon *qmp.SocketMonitor) error {
	done := make(chan error, 1)
	go func() { done <- mon.Connect() }()
	select {
	case err := <-done:
		if err != nil {
			mon.Disconnect()
		}
		return err
	case <-ctx.Done():
		mon.Disconnect()
		<-done
		return ctx.Err()
	}
}

// run executes one QMP command and returns its raw reply. When ctx ends
// first, the connection is closed (a QMP reply cannot be abandoned
// otherwise) and later commands fail.
func (m *monitor) run(ctx context.Context, command string, args any) ([]byte, error) {
	m.mu.Lock()
	mon, closed := m.mon, m.closed
	m.mu.Unlock()
	if closed {
		return nil, fmt.Errorf("qmp %s: connection closed", command)
	}
	req := map[string]any{"execute": command}
	if args != nil {
		req["arguments"] = args
	}
	b, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("qmp %s: %w", command, err)
	}
	type result struct {
		reply []byte
		err   error
	}
	done := make(chan result, 1)
	go func() {
		r, err := mon.Run(b)
		done <- result{r, err}
	}()
	select {
	case r := <-done:
		if r.err != nil {
			return nil, fmt.Errorf("qmp %s: %w", command, r.err)
		}
		return r.reply, nil
	case <-ctx.Done():
		m.close()
		return nil, fmt.Errorf("qmp %s: %w", command, ctx.Err())
	}
}

// queryStatus asks the VM's run state.
func (m *monitor) queryStatus(ctx context.Context) (runState, error) {
	r, err := m.run(ctx, "query-status", nil)
	if err != nil {
		return runState{}, err
	}
	return parseQueryStatus(r)
}

// queryMigrate asks the state of the outgoing migration.
func (m *monitor) queryMigrate(ctx context.Context) (migration, error) {
	r, err := m.run(ctx, "query-migrate", nil)
	if err != nil {
		return migration{}, err
	}
	return parseQueryMigrate(r)
}

// exec runs a command whose reply carries nothing but success.
func (m *monitor) exec(ctx context.Context, command string, args any) error {
	r, err := m.run(ctx, command, args)
	if err != nil {
		return err
	}
	if _, err := parseQMPReturn(r); err != nil {
		return fmt.Errorf("qmp %s: %w", command, err)
	}
	return nil
}

// close ends the connection; it is idempotent. Disconnect waits for the
// client's reader to finish, which it does once the socket is closed.
func (m *monitor) close() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed || m.mon == nil {
		m.closed = true
		return
	}
	m.closed = true
	_ = m.mon.Disconnect()
}

var errNoMonitor = errors.New("no qmp connection")

// retriedUntil is the failure of a connection to one of QEMU's sockets
// retried until ctx ended: a timeout; but when the last attempt was
// refused (the socket is there and nothing accepts on it), QEMU could not
// be reached, which is the cause of the timeout and wins over it
// (driver.ErrUnreachable).
func retriedUntil(ctx context.Context, what, lastLabel string, last error) error {
	if errors.Is(last, syscall.ECONNREFUSED) {
		return driver.Unreachable(fmt.Errorf("%s: %w (%s: %w)", what, ctx.Err(), lastLabel, last))
	}
	return fmt.Errorf("%s: %w (%s: %v)", what, ctx.Err(), lastLabel, last)
}
