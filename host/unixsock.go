package host

import (
	"encoding/binary"
	"errors"
	"fmt"
	"syscall"

	"golang.org/x/sys/unix"
)

// A daemon that answers on a unix socket (dockerd, containerd) keeps
// handling a request after its client is gone: Docker 20.10 finishes a
// container create or start whose client was killed. Such work is visible
// from outside: the daemon still holds the accepted socket, and the kernel
// marks it shut down in both directions with a peer that no longer exists.
// GoneClients lists those sockets, from the kernel's socket table
// (sock_diag), so that a clean-up can wait until a dead client's requests
// have all been handled before it believes a listing.

// UnixConn is one connected unix stream socket as the kernel's socket
// diagnostics report it.
type UnixConn struct {
	Inode uint32
	// Name is the bound path: for an accepted socket, its listener's.
	Name string
	// Peer is the peer socket's inode; 0 once the peer was released (its
	// process closed it or died).
	Peer uint32
	// PeerKnown is set when the kernel reported a peer at all.
	PeerKnown bool
	// Shutdown holds the socket's shutdown bits: 1 no more receives, 2 no
	// more sends; a peer's release sets both.
	Shutdown uint8
}

// PeerGone reports whether the socket's client went away: both directions
// shut down and the peer released.
func (c UnixConn) PeerGone() bool {
	return c.Shutdown&shutdownMask == shutdownMask && (!c.PeerKnown || c.Peer == 0)
}

const (
	shutdownMask = 3 // RCV_SHUTDOWN | SEND_SHUTDOWN

	// include/uapi/linux/unix_diag.h
	udiagShowName = 0x1
	udiagShowPeer = 0x4

	unixDiagName     = 0
	unixDiagPeer     = 2
	unixDiagShutdown = 6

	tcpEstablished = 1 // the state of a connected unix stream socket

	sizeofUnixDiagReq = 24
	sizeofUnixDiagMsg = 16
)

// GoneClients lists, by inode, the connected sockets bound to path (a
// daemon's API socket) whose client is gone: requests the daemon is still
// handling for a process that no longer exists, or connections it has
// leaked.
func GoneClients(path string) ([]uint32, error) {
	conns, err := UnixConns()
	if err != nil {
		return nil, err
	}
	var out []uint32
	for _, c := range conns {
		if c.Name == path && c.PeerGone() {
			out = append(out, c.Inode)
		}
	}
	return out, nil
}

// UnixConns lists the connected unix stream sockets of this network
// namespace, with their names, peers and shutdown bits.
func UnixConns() ([]UnixConn, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_SOCK_DIAG)
	if err != nil {
		return nil, fmt.Errorf("unix sockets: netlink socket: %w", err)
	}
	defer unix.Close(fd)
	// Replies that take longer than this are not coming.
	tv := unix.Timeval{Sec: 5}
	if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
		return nil, fmt.Errorf("unix sockets: %w", err)
	}
	const seq = 1
	if err := unix.Sendto(fd, unixDiagRequest(seq), 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return nil, fmt.Errorf("unix sockets: sock_diag request: %w", err)
	}
	var out []UnixConn
	buf := make([]byte, 64<<10)
	for {
		n, _, err := unix.Recvfrom(fd, buf, 0)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("unix sockets: sock_diag reply: %w", err)
		}
		conns, done, err := ParseUnixDiag(buf[:n], seq)
		if err != nil {
			return nil, err
		}
		out = append(out, conns...)
		if done {
			return out, nil
		}
	}
}

// unixDiagRequest is a dump request for every established unix socket,
// with names and peers.
func unixDiagRequest(seq uint32) []byte {
	b := make([]byte, unix.NLMSG_HDRLEN+sizeofUnixDiagReq)
	ne := binary.NativeEndian
	ne.PutUint32(b[0:], uint32(len(b)))
	ne.PutUint16(b[4:], unix.SOCK_DIAG_BY_FAMILY)
	ne.PutUint16(b[6:], unix.NLM_F_REQUEST|unix.NLM_F_DUMP)
	ne.PutUint32(b[8:], seq)
	r := b[unix.NLMSG_HDRLEN:]
	r[0] = unix.AF_UNIX                               // sdiag_family
	ne.PutUint32(r[4:], 1<<tcpEstablished)            // udiag_states
	ne.PutUint32(r[8:], 0)                            // udiag_ino: all
	ne.PutUint32(r[12:], udiagShowName|udiagShowPeer) // udiag_show
	ne.PutUint32(r[16:], ^uint32(0))                  // udiag_cookie: none
	ne.PutUint32(r[20:], ^uint32(0))
	return b
}

// ParseUnixDiag reads one datagram of a sock_diag dump of unix sockets:
// the sockets it holds, and whether it ended the dump. Messages of another
// sequence number are skipped; an error message is an error.
func ParseUnixDiag(b []byte, seq uint32) (conns []UnixConn, done bool, err error) {
	if len(b) < unix.NLMSG_HDRLEN {
		return nil, false, fmt.Errorf("unix sockets: sock_diag reply of %d bytes, shorter than a netlink header", len(b))
	}
	msgs, err := syscall.ParseNetlinkMessage(b)
	if err != nil {
		return nil, false, fmt.Errorf("unix sockets: sock_diag reply: %w", err)
	}
	ne := binary.NativeEndian
	for _, m := range msgs {
		if m.Header.Seq != seq {
			continue
		}
		switch m.Header.Type {
		case unix.NLMSG_DONE:
			return conns, true, nil
		case unix.NLMSG_ERROR:
			if len(m.Data) >= 4 {
				if errno := int32(ne.Uint32(m.Data)); errno != 0 {
					return nil, false, fmt.Errorf("unix sockets: sock_diag: %w", unix.Errno(-errno))
				}
			}
			return conns, true, nil
		case unix.SOCK_DIAG_BY_FAMILY:
		default:
			continue
		}
		if len(m.Data) < sizeofUnixDiagMsg {
			return nil, false, fmt.Errorf("unix sockets: sock_diag message of %d bytes, shorter than its header", len(m.Data))
		}
		if m.Data[0] != unix.AF_UNIX || m.Data[2] != tcpEstablished {
			continue
		}
		c := UnixConn{Inode: ne.Uint32(m.Data[4:])}
		attrs, err := parseAttrs(m.Data[sizeofUnixDiagMsg:])
		if err != nil {
			return nil, false, err
		}
		for _, a := range attrs {
			switch a.typ {
			case unixDiagName:
				c.Name = sockName(a.val)
			case unixDiagPeer:
				if len(a.val) >= 4 {
					c.Peer, c.PeerKnown = ne.Uint32(a.val), true
				}
			case unixDiagShutdown:
				if len(a.val) >= 1 {
					c.Shutdown = a.val[0]
				}
			}
		}
		conns = append(conns, c)
	}
	return conns, false, nil
}

type rtattr struct {
	typ uint16
	val []byte
}

// parseAttrs splits netlink attributes (struct nlattr: length, type, value,
// padded to 4 bytes).
func parseAttrs(b []byte) ([]rtattr, error) {
	var out []rtattr
	ne := binary.NativeEndian
	for len(b) >= 4 {
		l := int(ne.Uint16(b))
		if l < 4 || l > len(b) {
			return nil, fmt.Errorf("unix sockets: sock_diag attribute of length %d in %d bytes", l, len(b))
		}
		out = append(out, rtattr{typ: ne.Uint16(b[2:]) &^ 0xc000, val: b[4:l]})
		l = (l + 3) &^ 3
		if l > len(b) {
			break
		}
		b = b[l:]
	}
	return out, nil
}

// sockName is a bound name as the kernel gives it: a path ends at its
// first NUL; an abstract name starts with one and is shown with "@".
func sockName(b []byte) string {
	if len(b) > 0 && b[0] == 0 {
		return "@" + string(b[1:])
	}
	for i, c := range b {
		if c == 0 {
			return string(b[:i])
		}
	}
	return string(b)
}
