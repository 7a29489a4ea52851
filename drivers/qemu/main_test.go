package qemu

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// testProbe is the host path of the static probe the integration tests
// boot as /init; probeNote says where it came from or why there is none.
var (
	testProbe string
	probeNote string
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "qemu-driver-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	testProbe, probeNote = buildTestProbe(dir)
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// buildTestProbe builds cmd/sandbox-probe statically. While that command
// does not build yet (it is being written alongside this driver), it
// builds a stand-in that speaks the same protocol subset: the ready line,
// ping, token set and token get.
func buildTestProbe(dir string) (string, string) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	out := filepath.Join(dir, "sandbox-probe")
	root, err := moduleRoot(ctx)
	if err != nil {
		return "", err.Error()
	}
	var realErr string
	if _, err := os.Stat(filepath.Join(root, "cmd", "sandbox-probe")); err == nil {
		b, err := goBuild(ctx, root, out, "./cmd/sandbox-probe")
		if err == nil {
			return out, "cmd/sandbox-probe"
		}
		realErr = fmt.Sprintf("cmd/sandbox-probe does not build (%v: %s)", err, strings.TrimSpace(string(b)))
	} else {
		realErr = "cmd/sandbox-probe does not exist"
	}
	src := filepath.Join(dir, "standin")
	if err := os.MkdirAll(src, 0o755); err != nil {
		return "", err.Error()
	}
	if err := os.WriteFile(filepath.Join(src, "go.mod"), []byte("module standin\n\ngo 1.21\n"), 0o644); err != nil {
		return "", err.Error()
	}
	if err := os.WriteFile(filepath.Join(src, "main.go"), []byte(standInProbe), 0o644); err != nil {
		return "", err.Error()
	}
	if b, err := goBuild(ctx, src, out, "."); err != nil {
		return "", fmt.Sprintf("%s, and the stand-in does not build either: %v: %s", realErr, err, b)
	}
	fmt.Fprintf(os.Stderr, "qemu driver tests: %s: using a stand-in probe\n", realErr)
	return out, "stand-in (" + realErr + ")"
}

func moduleRoot(ctx context.Context) (string, error) {
	b, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(b))
	if mod == "" || mod == os.DevNull {
		return "", fmt.Errorf("not inside a Go module")
	}
	return filepath.Dir(mod), nil
}

func goBuild(ctx context.Context, dir, out, pkg string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, pkg)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	return cmd.CombinedOutput()
}

// standInProbe answers the protocol's ready line, ping and token verbs.
// As PID 1 it must never exit, so it idles once its input ends.
const standInProbe = `package main

import (
	"bufio"
	"fmt"
	"os"
	"strings"
)

func main() {
	fmt.Printf("AEPROBE ready pid=%d\n", os.Getpid())
	token, n := "", 0
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		f := strings.Fields(strings.TrimRight(sc.Text(), "\r"))
		switch {
		case len(f) == 1 && f[0] == "ping":
			n++
			fmt.Printf("AEPROBE pong %d\n", n)
		case len(f) == 3 && f[0] == "token" && f[1] == "set":
			token = f[2]
			fmt.Println("AEPROBE token-set ok")
		case len(f) == 2 && f[0] == "token" && f[1] == "get":
			if token == "" {
				fmt.Println("AEPROBE token none")
			} else {
				fmt.Println("AEPROBE token " + token)
			}
		}
	}
	select {}
}
`
