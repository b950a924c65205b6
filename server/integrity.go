package server

import (
	"context"
	"encoding/hex"
	"errors"
	"hash"
	"io"
	"sync"
	"time"

	"github.com/hashstore-go/hashstore/hashstore"
)

// integrity is what the server learnt about objects' content while serving them:
//
//   - suspects: objects found not to match their cid. They are refused (500) until their file
//     changes (a repair replaces it), so that no client, and no retry resuming with a Range
//     where an aborted transfer stopped, gets their bytes.
//   - verified: objects hashed whole and found to match, recently. Range requests of the same
//     unchanged file are then sent straight from it (sendfile), since a range cannot be
//     checked by itself.
//
// Both are keyed by cid and remember the file's fingerprint; a changed file makes an entry
// stale. Both are bounded; forgetting an entry is safe (the object is hashed again).
type integrity struct {
	mu       sync.Mutex
	suspects map[string]suspect
	verified map[string]verification
	flights  map[flightKey]*flight
	ttl      time.Duration
	now      func() time.Time
	m        *metrics
}

type suspect struct {
	fp  fingerprint
	err *hashstore.CorruptObjectError
}

type verification struct {
	fp    fingerprint
	until time.Time
}

// flight is one whole-object verification in progress, which concurrent Range requests of the
// same object wait for instead of each hashing the object (parallel downloaders send many).
type flight struct {
	done chan struct{}
	err  error
}

type flightKey struct {
	cid string
	fp  fingerprint
}

// maxRemembered bounds each map.
const maxRemembered = 4096

func newIntegrity(ttl time.Duration, m *metrics) *integrity {
	return &integrity{suspects: map[string]suspect{}, verified: map[string]verification{}, flights: map[flightKey]*flight{},
		ttl: ttl, now: time.Now, m: m}
}

// suspected returns the error recorded for this version of the object, or nil.
func (g *integrity) suspected(cid string, fp fingerprint) *hashstore.CorruptObjectError {
	g.mu.Lock()
	defer g.mu.Unlock()
	s, ok := g.suspects[cid]
	if !ok {
		return nil
	}
	if s.fp != fp {
		delete(g.suspects, cid) // the file changed: judge it again
		g.m.suspects.Set(float64(len(g.suspects)))
		return nil
	}
	return s.err
}

// corrupt records that this version of the object does not match its cid.
func (g *integrity) corrupt(cid string, fp fingerprint, err *hashstore.CorruptObjectError) {
	g.mu.Lock()
	defer g.mu.Unlock()
	delete(g.verified, cid)
	evictOne(g.suspects, maxRemembered)
	g.suspects[cid] = suspect{fp: fp, err: err}
	g.m.suspects.Set(float64(len(g.suspects)))
	g.m.verifyFail.Inc()
}

// isVerified reports whether this version of the object was hashed whole within the TTL.
func (g *integrity) isVerified(cid string, fp fingerprint) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	v, ok := g.verified[cid]
	return ok && v.fp == fp && g.now().Before(v.until)
}

func (g *integrity) markVerified(cid string, fp fingerprint) {
	if g.ttl <= 0 {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	evictOne(g.verified, maxRemembered)
	g.verified[cid] = verification{fp: fp, until: g.now().Add(g.ttl)}
}

// evictOne makes room for one more entry by dropping an arbitrary one when m holds limit,
// and returns what it dropped.
func evictOne[V any](m map[string]V, limit int) (dropped V, ok bool) {
	if len(m) < limit {
		return dropped, false
	}
	for k, v := range m {
		delete(m, k)
		return v, true
	}
	return dropped, false
}

// verifyWhole hashes the object whole unless this version is already known (verified or
// suspect), sharing the work with concurrent callers for the same version. It returns nil
// when the content matches the cid, a *hashstore.CorruptObjectError when it does not.
func (g *integrity) verifyWhole(ctx context.Context, cid string, fp fingerprint, hashOnce func() error) error {
	for {
		if ce := g.suspected(cid, fp); ce != nil {
			return ce
		}
		if g.isVerified(cid, fp) {
			return nil
		}
		key := flightKey{cid, fp}
		g.mu.Lock()
		if f, ok := g.flights[key]; ok {
			g.mu.Unlock()
			select {
			case <-f.done:
			case <-ctx.Done():
				return ctx.Err()
			}
			if errors.Is(f.err, context.Canceled) || errors.Is(f.err, context.DeadlineExceeded) {
				continue // the request doing the work went away; take it over
			}
			if f.err == nil && g.ttl <= 0 {
				return nil // nothing is remembered: trust the flight we waited for
			}
			if f.err != nil {
				return f.err
			}
			continue
		}
		f := &flight{done: make(chan struct{})}
		g.flights[key] = f
		g.mu.Unlock()
		f.err = hashOnce()
		g.mu.Lock()
		delete(g.flights, key)
		g.mu.Unlock()
		close(f.done)
		return f.err
	}
}

// hasher checks content against a cid as it is read, counting the bytes it hashes. Hashers
// are reused (newHasher, putHasher): a small object's request would otherwise allocate one
// for a few microseconds of hashing.
type hasher struct {
	h   hash.Hash
	n   int64
	cid string
	m   *metrics
	sum [64]byte // room for the digest, so that check allocates nothing when it matches
}

func (s *Server) newHasher(cid string) *hasher {
	h, _ := s.hashers.Get().(*hasher)
	if h == nil {
		h = &hasher{h: s.alg.New(), m: s.metrics}
	}
	h.h.Reset()
	h.n, h.cid = 0, cid
	return h
}

// putHasher gives back a hasher nothing uses any more.
func (s *Server) putHasher(h *hasher) { s.hashers.Put(h) }

func (h *hasher) write(p []byte) {
	h.h.Write(p)
	h.n += int64(len(p))
	h.m.verified.Add(float64(len(p)))
}

// check returns nil if what was hashed is the cid's content.
func (h *hasher) check() *hashstore.CorruptObjectError {
	var hexSum [2 * len(hasher{}.sum)]byte
	n := hex.Encode(hexSum[:], h.h.Sum(h.sum[:0]))
	if string(hexSum[:n]) == h.cid {
		return nil
	}
	return &hashstore.CorruptObjectError{CID: h.cid, Actual: string(hexSum[:n]), Size: h.n}
}

// hashAll reads r to its end through buf into h, stopping early when ctx ends.
func hashAll(ctx context.Context, r io.Reader, buf []byte, h *hasher) error {
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		n, err := r.Read(buf)
		h.write(buf[:n])
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}
