package fleet

import (
	"bytes"
	"context"
	"debug/elf"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// HarnessEnv names a static agentic-eval binary to put in the image
// instead of building one.
const HarnessEnv = "AGENTIC_EVAL_FLEET_HARNESS"

const modulePath = "github.com/agentic-eval/agentic-eval"

// BuildHarness returns a static agentic-eval binary for the nodes:
// $AGENTIC_EVAL_FLEET_HARNESS when set, else a CGO_ENABLED=0 build of the
// checkout the working directory is in (into dir), else this program
// itself when it is statically linked.
func BuildHarness(ctx context.Context, dir string) (string, error) {
	if p := os.Getenv(HarnessEnv); p != "" {
		if err := checkStatic(p); err != nil {
			return "", fmt.Errorf("harness from $%s: %w", HarnessEnv, err)
		}
		return p, nil
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("build the harness: %w", err)
	}
	if root, ok := moduleRoot(wd); ok {
		out := filepath.Join(dir, "agentic-eval")
		bctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(bctx, "go", "build", "-trimpath", "-o", out, "./cmd/agentic-eval")
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		var errb bytes.Buffer
		cmd.Stderr = &errb
		if err := cmd.Run(); err != nil {
			return "", fmt.Errorf("build the harness (CGO_ENABLED=0 go build ./cmd/agentic-eval in %s): %v: %s", root, err, oneLine(errb.String()))
		}
		return out, nil
	}
	self, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("the harness: not in a checkout, and this program's path is unknown: %w", err)
	}
	if err := checkStatic(self); err != nil {
		return "", fmt.Errorf("the harness: not in a checkout, and this program cannot run on a node: %w (set $%s to a static build)", err, HarnessEnv)
	}
	return self, nil
}

// checkStatic requires an ELF executable without a dynamic loader.
func checkStatic(path string) error {
	st, err := os.Stat(path)
	if err != nil {
		return err
	}
	if !st.Mode().IsRegular() || st.Mode()&0o111 == 0 {
		return fmt.Errorf("%s is not an executable regular file", path)
	}
	f, err := elf.Open(path)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return fmt.Errorf("%s is dynamically linked: a node's host may not have its libraries", path)
		}
	}
	return nil
}

// CheckStatic is checkStatic for callers that take busybox from the host.
func CheckStatic(path string) error { return checkStatic(path) }

func moduleRoot(dir string) (string, bool) {
	for d := dir; ; {
		b, err := os.ReadFile(filepath.Join(d, "go.mod"))
		if err == nil && strings.Contains(string(b), "module "+modulePath+"\n") {
			return d, true
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", false
		}
		d = parent
	}
}
