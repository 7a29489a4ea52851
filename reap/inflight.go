package reap

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// A daemon's requests of gone clients are known by an identity that lasts
// as long as the request (the inode of the socket the daemon still holds
// for it). A request counts as in flight until it has been seen for Stall:
// past that it is taken to be stuck or leaked, not at work. (dockerd 20.10
// keeps the sockets of some hijacked attach streams of killed clients open
// with nothing serving them, until its garbage collector runs.) First
// sightings are kept in the state directory beside the run records, so
// that every reap after the first knows an old leak at once.

// sightingsFile is where first sightings are kept, in the ledger dir.
const sightingsFile = "inflight.json"

// maxSightingsBytes bounds the file: a host holds a handful of leaks.
const maxSightingsBytes = 1 << 20

// sightings are the first sightings of requests in flight, by daemon and
// identity.
type sightings struct {
	dir   string
	first map[string]time.Time // daemon + "\x00" + id
	dirty bool
}

// loadSightings reads the kept sightings; a missing, oversized or
// malformed file is a fresh start (every request is then seen anew: a
// longer wait, never a shorter one).
func loadSightings(dir string) *sightings {
	s := &sightings{dir: dir, first: map[string]time.Time{}}
	b, err := readCapped(filepath.Join(dir, sightingsFile), maxSightingsBytes)
	if err != nil {
		return s
	}
	var kept map[string]time.Time
	if json.Unmarshal(b, &kept) == nil {
		for k, t := range kept {
			if strings.Contains(k, "\x00") && !t.IsZero() {
				s.first[k] = t
			}
		}
	}
	return s
}

// observe records the requests of daemon in flight now, forgets those of
// daemon no longer there, and counts those first seen less than stall ago.
func (s *sightings) observe(daemon string, ids []string, now time.Time, stall time.Duration) int {
	here := map[string]bool{}
	n := 0
	for _, id := range ids {
		k := daemon + "\x00" + id
		here[k] = true
		t, ok := s.first[k]
		if !ok {
			t = now
			s.first[k] = now
			s.dirty = true
		}
		if now.Sub(t) < stall {
			n++
		}
	}
	for k := range s.first {
		if strings.HasPrefix(k, daemon+"\x00") && !here[k] {
			delete(s.first, k)
			s.dirty = true
		}
	}
	return n
}

// save keeps the sightings, atomically; a failure only costs a later reap
// a longer wait.
func (s *sightings) save() {
	if !s.dirty {
		return
	}
	if len(s.first) == 0 {
		os.Remove(filepath.Join(s.dir, sightingsFile))
		return
	}
	b, err := json.Marshal(s.first)
	if err != nil {
		return
	}
	_ = writeFileSync(s.dir, sightingsFile, b)
}
