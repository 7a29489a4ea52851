package probe

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/agentic-eval/agentic-eval/vms"
)

func TestStreamReadyFromARecordedSerialConsole(t *testing.T) {
	s := NewStream(strings.NewReader(readRecording(t, "qemu-tcg")), io.Discard)
	defer s.Close()
	m, err := s.Ready(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if m.PID != 1 || m.At.IsZero() {
		t.Errorf("ready = %+v, want pid 1 and an arrival time", m)
	}
	again, err := s.Ready(context.Background())
	if err != nil || again != m {
		t.Errorf("second Ready = %+v, %v; want the same %+v", again, err, m)
	}
}

func TestStreamSkipsNoiseAndCarriageReturns(t *testing.T) {
	r, w := io.Pipe()
	s := NewStream(r, io.Discard)
	defer s.Close()
	go io.WriteString(w, "[    0.4] PCI: Fatal: No config space access function found\r\n\r\nAEPROBE ready pid=7\r\n")
	m, err := s.Ready(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if m.Verb != VerbReady || m.Payload != "pid=7" || m.PID != 7 {
		t.Errorf("ready = %+v", m)
	}
	last := s.LastOutput()
	if len(last) != 2 || last[0] != "[    0.4] PCI: Fatal: No config space access function found" || last[1] != "AEPROBE ready pid=7" {
		t.Errorf("LastOutput = %q: want the two non-blank lines without \\r", last)
	}
}

func TestStreamTimestampsALineWhenItArrives(t *testing.T) {
	r, w := io.Pipe()
	s := NewStream(r, io.Discard)
	defer s.Close()
	before := time.Now()
	go io.WriteString(w, "AEPROBE ready pid=3\n")
	m, err := s.Ready(context.Background())
	after := time.Now()
	if err != nil {
		t.Fatal(err)
	}
	if m.At.Before(before) || m.At.After(after) {
		t.Errorf("ready stamped %v, outside [%v, %v]", m.At, before, after)
	}
}

func TestStreamEOFBeforeReadyExplainsWithTheLastOutput(t *testing.T) {
	out := "Booting\nexec /sandbox-probe: no such file or directory\n"
	s := NewStream(strings.NewReader(out), io.Discard)
	defer s.Close()
	_, err := s.Ready(context.Background())
	if err == nil {
		t.Fatal("Ready succeeded on output without a ready line")
	}
	if !errors.Is(err, io.EOF) || !strings.Contains(err.Error(), "probe exited before ready") ||
		!strings.Contains(err.Error(), "exec /sandbox-probe: no such file or directory") {
		t.Errorf("error %q: want EOF, 'probe exited before ready' and the last output", err)
	}
}

func TestStreamEOFBeforeReadyWithAFinalLineWithoutNewline(t *testing.T) {
	s := NewStream(strings.NewReader("runc run failed: container_linux.go:380"), io.Discard)
	defer s.Close()
	_, err := s.Ready(context.Background())
	if err == nil || !strings.Contains(err.Error(), "container_linux.go:380") {
		t.Errorf("error %v: want the unterminated last line in it", err)
	}
}

func TestStreamReadyEndsWithTheContext(t *testing.T) {
	r, w := io.Pipe()
	defer w.Close()
	s := NewStream(r, io.Discard)
	defer s.Close()
	go io.WriteString(w, "still booting\n")
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := s.Ready(ctx)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Ready = %v, want the context's deadline", err)
	}
}

func TestStreamRequestIgnoresRepliesThatArrivedBeforeIt(t *testing.T) {
	outR, outW := io.Pipe()
	inR, inW := io.Pipe()
	s := NewStream(outR, inW)
	defer s.Close()
	io.WriteString(outW, "AEPROBE ready pid=1\nAEPROBE pong 1\n")
	if _, err := s.Ready(context.Background()); err != nil {
		t.Fatal(err)
	}
	// The stale pong is read before the request is sent.
	for len(s.LastOutput()) < 2 {
		time.Sleep(time.Millisecond)
	}
	go func() {
		req, _ := bufio.NewReader(inR).ReadString('\n')
		if req == "ping\n" {
			io.WriteString(outW, "kernel noise\nAEPROBE token none\nAEPROBE pong 2\n")
		}
	}()
	m, err := s.Request(context.Background(), "ping")
	if err != nil {
		t.Fatal(err)
	}
	if m.Verb != VerbPong || m.Payload != "2" {
		t.Errorf("reply %+v, want pong 2", m)
	}
}

func TestStreamRequestReturnsTheProbeError(t *testing.T) {
	outR, outW := io.Pipe()
	inR, inW := io.Pipe()
	s := NewStream(outR, inW)
	defer s.Close()
	go func() {
		bufio.NewReader(inR).ReadString('\n')
		io.WriteString(outW, `AEPROBE error unknown request "frob"`+"\n")
	}()
	m, err := s.Request(context.Background(), "frob")
	if err == nil || m.Verb != VerbError || !strings.Contains(err.Error(), `unknown request "frob"`) {
		t.Errorf("Request(frob) = %+v, %v; want the probe's error", m, err)
	}
}

func TestStreamRequestFailsWhenOutputEnds(t *testing.T) {
	outR, outW := io.Pipe()
	inR, inW := io.Pipe()
	s := NewStream(outR, inW)
	defer s.Close()
	go func() {
		bufio.NewReader(inR).ReadString('\n')
		io.WriteString(outW, "Kernel panic - not syncing: Attempted to kill init!\n")
		outW.Close()
	}()
	_, err := s.Request(context.Background(), "exit")
	if !errors.Is(err, io.EOF) || !strings.Contains(err.Error(), "Attempted to kill init") {
		t.Errorf("Request = %v, want EOF with the last output", err)
	}
}

func TestStreamRequestEndsWithTheContext(t *testing.T) {
	outR, outW := io.Pipe()
	defer outW.Close()
	s := NewStream(outR, io.Discard)
	defer s.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := s.Request(ctx, "ping")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Request = %v, want the context's deadline", err)
	}
}

func TestStreamRequestEndsWithTheContextWhenTheInputBlocks(t *testing.T) {
	outR, outW := io.Pipe()
	defer outW.Close()
	_, inW := io.Pipe() // nobody reads the probe's input
	s := NewStream(outR, inW)
	defer s.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := s.Request(ctx, "ping")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Request = %v, want the context's deadline", err)
	}
}

func TestStreamCloseEndsWaitersAndIsIdempotent(t *testing.T) {
	outR, outW := io.Pipe()
	defer outW.Close()
	s := NewStream(outR, io.Discard)
	done := make(chan error, 1)
	go func() {
		_, err := s.Ready(context.Background())
		done <- err
	}()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; !errors.Is(err, ErrClosed) {
		t.Errorf("Ready after Close = %v, want ErrClosed", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close = %v", err)
	}
	if _, err := s.Request(context.Background(), "ping"); !errors.Is(err, ErrClosed) {
		t.Errorf("Request after Close = %v, want ErrClosed", err)
	}
	// Close closed the output pipe: its writer sees that.
	if _, err := outW.Write([]byte("x\n")); !errors.Is(err, io.ErrClosedPipe) {
		t.Errorf("write to the closed stream's output = %v, want io.ErrClosedPipe", err)
	}
}

// buildProbe builds cmd/sandbox-probe statically for tests that run it.
func buildProbe(t *testing.T) string {
	t.Helper()
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go toolchain not on PATH: cannot build the probe")
	}
	bin := filepath.Join(t.TempDir(), "sandbox-probe")
	cmd := exec.Command(gobin, "build", "-trimpath", "-o", bin, "../cmd/sandbox-probe")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build probe: %v: %s", err, out)
	}
	return bin
}

func TestStreamSpeaksToTheRealProbe(t *testing.T) {
	bin := buildProbe(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin)
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	s := NewStream(out, in)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		s.Close()
		cmd.Process.Kill()
		cmd.Wait()
	}()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()

	ready, err := s.Ready(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if ready.PID != cmd.Process.Pid {
		t.Errorf("ready pid %d, want the process's %d", ready.PID, cmd.Process.Pid)
	}
	steps := []struct {
		req  []string
		want string
	}{
		{[]string{"ping"}, "pong 1"},
		{[]string{"ping"}, "pong 2"},
		{[]string{"token", "get"}, "token none"},
		{[]string{"token", "set", "c0ffee"}, "token-set ok"},
		{[]string{"token", "get"}, "token c0ffee"},
	}
	for _, st := range steps {
		m, err := s.Request(ctx, st.req[0], st.req[1:]...)
		if err != nil {
			t.Fatal(err)
		}
		if got := m.Verb + " " + m.Payload; got != st.want {
			t.Errorf("%q -> %q, want %q", st.req, got, st.want)
		}
		if m.At.Before(ready.At) {
			t.Errorf("reply stamped %v before the ready line %v", m.At, ready.At)
		}
	}
	if _, err := s.Request(ctx, "token", "set", "not-hex"); err == nil {
		t.Error("token set not-hex succeeded")
	}
	if _, err := s.Request(ctx, "frobnicate"); err == nil || !strings.Contains(err.Error(), "unknown request") {
		t.Errorf("frobnicate: %v, want the probe's unknown-request error", err)
	}

	m, err := s.Request(ctx, "facts", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	f, err := ParseFacts(m.Payload)
	if err != nil {
		t.Fatal(err)
	}
	if f.PID != cmd.Process.Pid || f.BootID.Value == "" || f.KernelRelease.Value == "" {
		t.Errorf("facts identify pid %d, boot_id %+v, kernel %+v", f.PID, f.BootID, f.KernelRelease)
	}
	if f.HostLoopback.Result != Yes {
		t.Errorf("a probe on the host cannot reach the host's loopback listener: %+v", f.HostLoopback)
	}
	boot, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	if err != nil {
		t.Fatal(err)
	}
	host := HostIdentity{BootID: strings.TrimSpace(string(boot)), KernelRelease: f.KernelRelease.Value}
	if a := Assess(host, f, vms.BoundaryHardware); a.Boundary != vms.BoundarySharedKernel || !a.Observed {
		t.Errorf("a probe on the host assessed as %+v, want a shared kernel observed", a)
	}

	m, err = s.Request(ctx, "exit")
	if err != nil || m.Verb != VerbBye {
		t.Fatalf("exit -> %+v, %v", m, err)
	}
	if err := cmd.Wait(); err != nil {
		t.Errorf("probe after exit: %v, want exit status 0", err)
	}
}
