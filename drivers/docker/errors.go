package docker

import (
	"context"
	"net"
	"time"

	"github.com/docker/docker/client"

	"github.com/agentic-eval/agentic-eval/driver"
)

// This file types the Engine's failures where they reach the driver, so
// that the harness classifies them with errors.Is (see package driver):
// every connection to the daemon goes through dialDaemon, and every error
// the API client returns goes through daemonError before it leaves the
// driver.

// dialTimeout bounds one connection to the daemon, as the client's own
// dialer does.
const dialTimeout = 32 * time.Second

// daemonDialer dials the daemon at host for the API client
// (client.WithDialContext): the daemon's socket whatever address the HTTP
// transport names, for a unix host, else the address given. A connection
// that fails for any reason but the caller's context ending is
// driver.ErrUnreachable: the daemon could not be reached.
func daemonDialer(host string) (func(ctx context.Context, network, addr string) (net.Conn, error), error) {
	u, err := client.ParseHostURL(host)
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		if u.Scheme == "unix" {
			network, addr = "unix", u.Host // ParseHostURL keeps a socket path in Host
		}
		d := net.Dialer{Timeout: dialTimeout, KeepAlive: 30 * time.Second}
		c, err := d.DialContext(ctx, network, addr)
		return c, dialFailure(ctx, err)
	}, nil
}

// dialFailure is a failed dial typed: driver.ErrUnreachable, unless the
// caller's context ended it (then it is the context's error, a deadline
// a timeout).
func dialFailure(ctx context.Context, err error) error {
	if err == nil || ctx.Err() != nil {
		return err
	}
	return driver.Unreachable(err)
}

// daemonError types an error of the API client: a connection that failed
// (the client's own errConnectionFailed, which replaces the dial error
// and its type with "Cannot connect to the Docker daemon") is the daemon
// unreachable; a message from the daemon that carries the C library's text
// of an errno of the host ("no space left on device") is that errno
// (driver.Printed). Anything else is the error as it was.
func daemonError(err error) error {
	switch {
	case err == nil:
		return nil
	case client.IsErrConnectionFailed(err):
		return driver.Unreachable(err)
	}
	return driver.Printed(err, err.Error())
}
