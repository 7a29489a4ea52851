package host

import (
	"net"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
)

// TestGoneClientsSeesAServerHoldingAConnectionWhoseClientClosed makes the
// state a killed daemon client leaves, with real sockets: a server holds
// an accepted connection after its client closed. GoneClients lists it,
// and not a connection whose client is still there.
func TestGoneClientsSeesAServerHoldingAConnectionWhoseClientClosed(t *testing.T) {
	path := filepath.Join(t.TempDir(), "daemon.sock")
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	accept := func() (client, server net.Conn) {
		t.Helper()
		c, err := net.Dial("unix", path)
		if err != nil {
			t.Fatal(err)
		}
		s, err := l.Accept()
		if err != nil {
			t.Fatal(err)
		}
		return c, s
	}
	live, liveServer := accept()
	defer live.Close()
	defer liveServer.Close()
	gone, goneServer := accept()
	defer goneServer.Close()
	if err := gone.Close(); err != nil {
		t.Fatal(err)
	}
	inodes, err := GoneClients(path)
	if err != nil {
		t.Fatal(err)
	}
	want := socketInode(t, goneServer)
	if len(inodes) != 1 || inodes[0] != want {
		t.Fatalf("GoneClients = %v, want the one server-side socket %d whose client closed (the live one is %d)", inodes, want, socketInode(t, liveServer))
	}
	if err := goneServer.Close(); err != nil {
		t.Fatal(err)
	}
	if inodes, err := GoneClients(path); err != nil || len(inodes) != 0 {
		t.Fatalf("after the server closed it: GoneClients = %v, %v; want none", inodes, err)
	}
}

func socketInode(t *testing.T, c net.Conn) uint32 {
	t.Helper()
	f, err := c.(*net.UnixConn).File()
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	return uint32(fi.Sys().(*syscall.Stat_t).Ino)
}

// TestParseUnixDiagOnARecordedDump reads a sock_diag dump recorded on a
// machine of this kind (a dockerd with one request of a killed client in
// hand, beside containerd's connections).
func TestParseUnixDiagOnARecordedDump(t *testing.T) {
	b, err := os.ReadFile("testdata/unix-diag-gone-client.bin")
	if err != nil {
		t.Fatal(err)
	}
	conns, done, err := ParseUnixDiag(b, 1)
	if err != nil || !done {
		t.Fatalf("ParseUnixDiag: done %v, %v", done, err)
	}
	var gone []string
	for _, c := range conns {
		if c.PeerGone() {
			gone = append(gone, c.Name)
		}
	}
	if !slices.Contains(gone, "/run/agentic-eval/dockerd.sock") {
		t.Errorf("gone clients at %v: want dockerd's socket among them (conns %+v)", gone, conns)
	}
}

func TestParseUnixDiagRefusesWhatIsNotADump(t *testing.T) {
	for _, b := range [][]byte{{1, 2, 3}, make([]byte, 20)} {
		if _, _, err := ParseUnixDiag(b, 1); err == nil {
			t.Errorf("ParseUnixDiag(%v) accepted it", b)
		}
	}
}
