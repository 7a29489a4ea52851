package docker

import (
	"os"
	"strings"
)

// PrivateSocket is the project's own dockerd (scripts/start-dockerd.sh).
const PrivateSocket = "unix:///run/agentic-eval/dockerd.sock"

// SystemSocket is the distribution's default dockerd socket.
const SystemSocket = "unix:///var/run/docker.sock"

// Where the daemon address came from.
const (
	sourceEnv     = "DOCKER_HOST"
	sourcePrivate = "private"
	sourceSystem  = "system"
)

// resolveHost picks the daemon address: $DOCKER_HOST, then the project's
// private socket, then the system socket. exists reports whether a socket
// path exists. When neither socket exists it names the private socket, the
// one the project's set-up starts, so that the reason points there.
func resolveHost(getenv func(string) string, exists func(path string) bool) (host, source string) {
	if h := strings.TrimSpace(getenv("DOCKER_HOST")); h != "" {
		return h, sourceEnv
	}
	if exists(socketPath(PrivateSocket)) {
		return PrivateSocket, sourcePrivate
	}
	if exists(socketPath(SystemSocket)) {
		return SystemSocket, sourceSystem
	}
	return PrivateSocket, sourcePrivate
}

// socketPath is the file path of a unix:// address, or "" for any other.
func socketPath(host string) string {
	if p, ok := strings.CutPrefix(host, "unix://"); ok {
		return p
	}
	return ""
}

func pathExists(p string) bool {
	if p == "" {
		return false
	}
	_, err := os.Stat(p)
	return err == nil
}
