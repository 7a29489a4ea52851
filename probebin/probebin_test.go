package probebin

import (
	"context"
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestBuildBuildsOnceThenServesTheCache(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("go toolchain not on PATH: cannot build the probe")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	root, err := moduleRoot(wd)
	if err != nil {
		t.Fatal(err)
	}
	cache := t.TempDir()

	first, err := buildProbe(ctx, root, cache)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(first, cache+"/") || filepath.Base(first) != "sandbox-probe" {
		t.Fatalf("probe built at %s, want %s/<key>/sandbox-probe", first, cache)
	}
	st1, err := os.Stat(first)
	if err != nil {
		t.Fatal(err)
	}

	second, err := buildProbe(ctx, root, cache)
	if err != nil {
		t.Fatal(err)
	}
	if second != first {
		t.Fatalf("second build at %s, want the cached %s", second, first)
	}
	st2, err := os.Stat(second)
	if err != nil {
		t.Fatal(err)
	}
	if !st2.ModTime().Equal(st1.ModTime()) {
		t.Errorf("cached probe was rebuilt: mtime %v then %v", st1.ModTime(), st2.ModTime())
	}
	left, _ := filepath.Glob(filepath.Join(filepath.Dir(first), ".sandbox-probe-*"))
	if len(left) > 0 {
		t.Errorf("temporary build files left: %v", left)
	}

	f, err := elf.Open(first)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Fatalf("probe %s has an ELF interpreter: not static", first)
		}
	}
	if st1.Mode().Perm()&0o111 == 0 {
		t.Errorf("probe %s is not executable: %v", first, st1.Mode())
	}
}

func TestBuildUsesTheEnvironmentOverride(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "my-probe")
	if err := os.WriteFile(bin, []byte("#!/bin/true\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv(Env, bin)
	got, err := Build(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got != bin {
		t.Errorf("Build = %s, want $%s = %s", got, Env, bin)
	}
}

func TestBuildRejectsAMissingOrNonExecutableOverride(t *testing.T) {
	dir := t.TempDir()
	plain := filepath.Join(dir, "plain")
	if err := os.WriteFile(plain, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{filepath.Join(dir, "missing"), plain, dir} {
		t.Setenv(Env, p)
		if got, err := Build(context.Background()); err == nil {
			t.Errorf("%s=%s: Build = %s, want an error", Env, p, got)
		} else if !strings.Contains(err.Error(), Env) {
			t.Errorf("error %q does not name %s", err, Env)
		}
	}
}

func TestBuildOutsideTheModuleFallsBackToTheInstalledProbeOrSaysWhatToSet(t *testing.T) {
	t.Setenv(Env, "")
	t.Chdir(t.TempDir())
	got, err := Build(context.Background())
	if checkExecutable(Installed) == nil {
		if err != nil || got != Installed {
			t.Errorf("Build outside the module = %q, %v; want the installed %s", got, err, Installed)
		}
		return
	}
	if err == nil {
		t.Fatalf("Build outside the module, nothing installed, succeeded: %s", got)
	}
	for _, want := range []string{modulePath, Env, Installed} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %s", err, want)
		}
	}
}

func TestModuleRootIgnoresOtherModules(t *testing.T) {
	outer := t.TempDir()
	if err := os.WriteFile(filepath.Join(outer, "go.mod"), []byte("module "+modulePath+"\n\ngo 1.26\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	inner := filepath.Join(outer, "sub", "deeper")
	if err := os.MkdirAll(inner, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(outer, "sub", "go.mod"), []byte("module example.com/other\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := moduleRoot(inner)
	if err != nil {
		t.Fatal(err)
	}
	if got != outer {
		t.Errorf("moduleRoot(%s) = %s, want %s", inner, got, outer)
	}
}

func TestBuildCachesUnderTheWellKnownDirectory(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("go toolchain not on PATH: cannot build the probe")
	}
	if err := os.MkdirAll(CacheDir, 0o755); err != nil {
		t.Skipf("cannot create %s (%v): Build needs it or $%s", CacheDir, err, Env)
	}
	t.Setenv(Env, "")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	first, err := Build(ctx)
	if err != nil {
		t.Fatal(err)
	}
	second, err := Build(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if first != second || !strings.HasPrefix(first, CacheDir+"/") {
		t.Errorf("Build = %s then %s, want one path under %s", first, second, CacheDir)
	}
	cmd := exec.CommandContext(ctx, first)
	cmd.Stdin = strings.NewReader("exit\n")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("run %s: %v", first, err)
	}
	if !strings.HasPrefix(string(out), "AEPROBE ready pid=") || !strings.HasSuffix(string(out), "AEPROBE bye\n") {
		t.Errorf("cached probe said %q, want a ready line first and bye last", out)
	}
}

func TestAProbeFromAnotherVersionIsRefused(t *testing.T) {
	ctx := context.Background()
	built, err := Build(ctx)
	if err != nil {
		t.Skipf("cannot build the probe here: %v", err)
	}
	if err := CheckFeatures(ctx, built); err != nil {
		t.Fatalf("the probe of this checkout is refused: %v", err)
	}
	// Any other binary (here /bin/true, which prints nothing) is not it.
	err = CheckFeatures(ctx, "/bin/true")
	if err == nil || !strings.Contains(err.Error(), "from another version") || !strings.Contains(err.Error(), "scripts/setup.sh") {
		t.Fatalf("CheckFeatures(/bin/true) = %v", err)
	}
}
