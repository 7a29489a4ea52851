package mcpserver

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/modelcontextprotocol/go-sdk/auth"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// The streamable HTTP face of the server: loopback only unless forced,
// and a bearer token on every request, whatever its path or method.

// HTTPPath is where the MCP endpoint is served.
const HTTPPath = "/mcp"

// HTTPOptions configure ServeHTTP.
type HTTPOptions struct {
	// Addr is host:port to listen on; the host must be a loopback address
	// (or "localhost") unless AllowNonLoopback.
	Addr             string
	AllowNonLoopback bool
	// Token is the bearer token every request must carry.
	Token string
	// Ready, when set, is called once with the address listened on (the
	// port resolved when Addr's port is 0).
	Ready func(addr string)
}

// CheckListenAddr refuses an address that is not loopback, unless forced.
func CheckListenAddr(addr string, allowNonLoopback bool) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("%s is not host:port (e.g. 127.0.0.1:8765): %v", shortQuote(addr), err)
	}
	if port == "" {
		return fmt.Errorf("%s has no port: give host:port, e.g. 127.0.0.1:8765 (port 0 picks a free one)", shortQuote(addr))
	}
	if allowNonLoopback {
		return nil
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("%s is not a loopback address: the server listens on 127.0.0.1, ::1 or localhost only, unless forced with --http-allow-non-loopback", shortQuote(host))
}

// NewToken returns a fresh random bearer token (256 bits, hex).
func NewToken() (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("generate token: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}

// MaxTokenFileBytes caps a token file.
const MaxTokenFileBytes = 4096

// ReadTokenFile reads a bearer token from path: a regular file (checked on
// the opened descriptor, opened without blocking), at most
// MaxTokenFileBytes, not readable by group or others, holding one token of
// 16 to 512 printable characters. Errors never echo the content.
func ReadTokenFile(path string) (string, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK|syscall.O_NOCTTY, 0)
	if err != nil {
		return "", fmt.Errorf("token file %s: %w", shortQuote(path), errors.Unwrap(err))
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return "", fmt.Errorf("token file %s: %w", shortQuote(path), err)
	}
	switch {
	case !fi.Mode().IsRegular():
		return "", fmt.Errorf("token file %s is not a regular file (%s): give a file holding the token", shortQuote(path), fi.Mode().Type())
	case fi.Size() > MaxTokenFileBytes:
		return "", fmt.Errorf("token file %s is %d bytes: the limit is %d", shortQuote(path), fi.Size(), MaxTokenFileBytes)
	case fi.Mode().Perm()&0o077 != 0:
		return "", fmt.Errorf("token file %s is readable or writable by group or others (mode %04o): chmod 600 it", shortQuote(path), fi.Mode().Perm())
	}
	b, err := io.ReadAll(io.LimitReader(f, MaxTokenFileBytes+1))
	if err != nil {
		return "", fmt.Errorf("token file %s: %w", shortQuote(path), err)
	}
	tok := strings.TrimSpace(string(b))
	if len(tok) < 16 || len(tok) > 512 {
		return "", fmt.Errorf("token file %s holds %d characters: a token is 16 to 512 printable characters on one line", shortQuote(path), len(tok))
	}
	for _, c := range tok {
		if c <= ' ' || c > '~' {
			return "", fmt.Errorf("token file %s holds a character that is not printable ASCII or is a space: a token is one word", shortQuote(path))
		}
	}
	return tok, nil
}

// HTTPHandler is the server behind bearer-token authentication: every
// request without "Authorization: Bearer <token>" is refused with 401.
func HTTPHandler(opts Options, token string) http.Handler {
	h, _ := httpHandler(opts, token)
	return h
}

func httpHandler(opts Options, token string) (http.Handler, *measurer) {
	s, m := build(opts)
	mux := http.NewServeMux()
	mux.Handle(HTTPPath, mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return s }, &mcp.StreamableHTTPOptions{SessionTimeout: 30 * time.Minute}))
	verify := func(_ context.Context, got string, _ *http.Request) (*auth.TokenInfo, error) {
		if subtle.ConstantTimeCompare([]byte(got), []byte(token)) != 1 {
			return nil, auth.ErrInvalidToken
		}
		return &auth.TokenInfo{UserID: "bearer"}, nil
	}
	limited := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, MaxFrameBytes)
		mux.ServeHTTP(w, r)
	})
	return auth.RequireBearerToken(verify, &auth.RequireBearerTokenOptions{AllowMissingExpiration: true})(limited), m
}

// ServeHTTP serves the streamable HTTP transport until ctx ends.
func ServeHTTP(ctx context.Context, h HTTPOptions, opts Options) error {
	if err := CheckListenAddr(h.Addr, h.AllowNonLoopback); err != nil {
		return err
	}
	if h.Token == "" {
		return errors.New("no bearer token: every request must carry one")
	}
	ln, err := net.Listen("tcp", h.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", shortQuote(h.Addr), err)
	}
	handler, m := httpHandler(opts, h.Token)
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	if h.Ready != nil {
		h.Ready(ln.Addr().String())
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve http on %s: %w", ln.Addr(), err)
	case <-ctx.Done():
	}
	if m != nil {
		m.stop() // before the shutdown, which waits for the calls
	}
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if srv.Shutdown(sctx) != nil {
		_ = srv.Close() // streams still open after the grace period
	}
	if m != nil {
		m.wait(drainTimeout)
	}
	return nil
}
