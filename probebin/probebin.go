package probebin

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/agentic-eval/agentic-eval/probe"
)

// Env names a prebuilt probe binary that Build returns as is.
const Env = "AGENTIC_EVAL_PROBE"

// CacheDir is where Build caches probe builds, one directory per
// source key.
const CacheDir = "/var/cache/agentic-eval/probe"

const modulePath = "github.com/agentic-eval/agentic-eval"

// Build returns the host path of a static build of cmd/sandbox-probe.
// $AGENTIC_EVAL_PROBE wins when set (it must be an executable file);
// otherwise the probe is built from the module's sources with
// CGO_ENABLED=0 into CacheDir/<key>/sandbox-probe, where key hashes
// the probe's sources, go.mod and `go version`, and an existing build for
// the key is reused. The module root is found by walking up from the
// working directory; outside a checkout, the probe setup installed at
// Installed is used.
func Build(ctx context.Context) (string, error) {
	if p := os.Getenv(Env); p != "" {
		if err := checkExecutable(p); err != nil {
			return "", fmt.Errorf("probe from $%s: %w", Env, err)
		}
		return p, nil
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("build probe: working directory: %w", err)
	}
	root, err := moduleRoot(wd)
	if err != nil {
		// Outside a checkout, use the probe scripts/setup.sh installed, if
		// it is the probe this tool speaks to.
		if checkExecutable(Installed) == nil {
			if err := CheckFeatures(ctx, Installed); err != nil {
				return "", fmt.Errorf("build probe: %w", err)
			}
			return Installed, nil
		}
		return "", fmt.Errorf("build probe: %w, and no probe is installed at %s (run scripts/setup.sh); or set %s to a static sandbox-probe binary", err, Installed, Env)
	}
	return buildProbe(ctx, root, CacheDir)
}

// Installed is where scripts/setup.sh installs the probe, used when the
// tool runs outside a checkout of its module.
const Installed = "/var/cache/agentic-eval/bin/sandbox-probe"

// buildProbe builds (or finds cached) the probe of the module at root
// under cacheRoot.
func buildProbe(ctx context.Context, root, cacheRoot string) (string, error) {
	gobin, err := exec.LookPath("go")
	if err != nil {
		return "", fmt.Errorf("build probe: go toolchain not found on PATH (%w); install Go or set %s to a static sandbox-probe binary", err, Env)
	}
	ver, err := exec.CommandContext(ctx, gobin, "version").Output()
	if err != nil {
		return "", fmt.Errorf("build probe: go version: %w", err)
	}
	key, err := probeKey(root, ver)
	if err != nil {
		return "", fmt.Errorf("build probe: %w", err)
	}
	dir := filepath.Join(cacheRoot, key)
	bin := filepath.Join(dir, "sandbox-probe")
	if checkExecutable(bin) == nil {
		return bin, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("build probe: cache directory: %w; set %s to a static sandbox-probe binary", err, Env)
	}
	tmp, err := os.CreateTemp(dir, ".sandbox-probe-*")
	if err != nil {
		return "", fmt.Errorf("build probe: %w", err)
	}
	tmpName := tmp.Name()
	tmp.Close()
	defer os.Remove(tmpName) // a no-op once renamed

	cmd := exec.CommandContext(ctx, gobin, "build", "-trimpath", "-ldflags=-s -w", "-o", tmpName, "./cmd/sandbox-probe")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("build probe in %s: %w: %s", root, err, strings.TrimSpace(stderr.String()))
	}
	if err := os.Chmod(tmpName, 0o755); err != nil {
		return "", fmt.Errorf("build probe: %w", err)
	}
	if err := os.Rename(tmpName, bin); err != nil {
		return "", fmt.Errorf("build probe: install %s: %w", bin, err)
	}
	return bin, nil
}

// probeKey hashes what the probe binary is made of: the non-test Go files
// of cmd/sandbox-probe and probe, go.mod (module versions) and the
// toolchain's version.
func probeKey(root string, goVersion []byte) (string, error) {
	h := sha256.New()
	fmt.Fprintf(h, "go version %s\n", bytes.TrimSpace(goVersion))
	files := []string{"go.mod"}
	for _, d := range []string{"cmd/sandbox-probe", "probe"} {
		ents, err := os.ReadDir(filepath.Join(root, d))
		if err != nil {
			return "", fmt.Errorf("probe sources: %w", err)
		}
		for _, e := range ents {
			n := e.Name()
			if e.Type().IsRegular() && strings.HasSuffix(n, ".go") && !strings.HasSuffix(n, "_test.go") {
				files = append(files, d+"/"+n)
			}
		}
	}
	sort.Strings(files)
	for _, f := range files {
		b, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			return "", fmt.Errorf("probe sources: %w", err)
		}
		fmt.Fprintf(h, "%s %d\n", f, len(b))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil))[:16], nil
}

// moduleRoot walks up from dir to the go.mod that declares this module.
func moduleRoot(dir string) (string, error) {
	for d := dir; ; {
		b, err := os.ReadFile(filepath.Join(d, "go.mod"))
		if err == nil && declaresModule(b, modulePath) {
			return d, nil
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", fmt.Errorf("no go.mod declaring module %s in %s or above", modulePath, dir)
		}
		d = parent
	}
}

func declaresModule(gomod []byte, path string) bool {
	for _, line := range strings.Split(string(gomod), "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 && f[0] == "module" && strings.Trim(f[1], `"`) == path {
			return true
		}
	}
	return false
}

func checkExecutable(p string) error {
	st, err := os.Stat(p)
	if err != nil {
		return err
	}
	if !st.Mode().IsRegular() {
		return fmt.Errorf("%s is not a regular file", p)
	}
	if st.Mode().Perm()&0o111 == 0 {
		return &fs.PathError{Op: "exec", Path: p, Err: errors.New("not executable")}
	}
	return nil
}

// CheckFeatures runs the probe at path with probe.FeaturesFlag and
// refuses it unless it reports this tool's probe.Features: a probe left by
// an older setup would otherwise run, and fail in ways that look like the
// runtime's (a guest that never reports ready).
func CheckFeatures(ctx context.Context, path string) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, probe.FeaturesFlag)
	cmd.Stdin = nil // an older probe prints its ready line and waits for requests: the deadline ends it
	out, err := cmd.Output()
	got := strings.TrimSpace(string(out))
	if err == nil && got == probe.Features {
		return nil
	}
	if len(got) > 80 {
		got = got[:77] + "..."
	}
	return fmt.Errorf("the probe at %s is from another version of agentic-eval (it reports %q; this tool needs %q): run scripts/setup.sh again, run from a checkout, or set %s", path, got, probe.Features, Env)
}
