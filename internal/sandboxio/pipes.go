package sandboxio

import (
	"fmt"
	"os"
)

// Pipes carries a sandbox's stdin and stdout. The child's ends (Stdin,
// Stdout) are the runtime command's; the harness's ends (Out, In) are what
// the driver passes to spec.Attach(Out, In).
type Pipes struct {
	Stdin  *os.File // read end of the probe's stdin: the command's stdin
	Stdout *os.File // write end of the probe's stdout: the command's stdout
	Out    *os.File // read end of the probe's stdout, for the harness
	In     *os.File // write end of the probe's stdin, for the harness
}

// NewPipes makes the two pipes. On failure nothing stays open.
func NewPipes() (*Pipes, error) {
	inR, inW, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("stdin pipe: %w", err)
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		inR.Close()
		inW.Close()
		return nil, fmt.Errorf("stdout pipe: %w", err)
	}
	return &Pipes{Stdin: inR, Stdout: outW, Out: outR, In: inW}, nil
}

// CloseChildEnds closes Stdin and Stdout: once the command has started (or
// failed to), the sandbox holds its own copies, and ours would hide its
// exit from the harness (no EOF on Out) and leak.
func (p *Pipes) CloseChildEnds() {
	p.Stdin.Close()
	p.Stdout.Close()
}
