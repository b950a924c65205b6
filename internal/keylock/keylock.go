// Package keylock provides exclusive locks on string keys of a few kinds (pid, cid, metadata
// document), with waits that end when a context does.
//
// Lock order: a caller that holds several locks takes them in Kind order (PID, then CID, then
// Metadata) and holds at most one key of each kind at a time. Every implementation may rely on
// that rule; it is what keeps striped lock files (where unrelated keys share a stripe) free of
// deadlocks.
package keylock

import (
	"context"
	"sync"
)

// Kind says what a key names. Kinds are independent namespaces: the pid "x" and the cid "x"
// are different locks.
type Kind uint8

// The kinds of key, in lock order.
const (
	PID Kind = iota
	CID
	Metadata
)

// String names the kind for messages.
func (k Kind) String() string {
	switch k {
	case PID:
		return "pid"
	case CID:
		return "cid"
	case Metadata:
		return "metadata"
	}
	return "unknown"
}

// Locker hands out exclusive locks on (kind, key) pairs.
type Locker interface {
	// Lock blocks until the caller holds key of kind, or ctx ends (then it returns ctx.Err()
	// and holds nothing). The returned function releases the lock; call it exactly once.
	Lock(ctx context.Context, kind Kind, key string) (unlock func(), err error)
}

// Local is a Locker for one process: goroutines exclude each other, other processes are not
// seen. The zero value is ready to use. Memory is proportional to the keys currently locked
// or waited for.
type Local struct {
	mu      sync.Mutex
	entries map[lockKey]*entry
}

type lockKey struct {
	kind Kind
	key  string
}

// entry is one key's lock: a one-slot semaphore, plus a count of holders and waiters so the
// entry can be dropped from the map when nobody needs it.
type entry struct {
	sem  chan struct{}
	refs int
}

// Lock implements Locker.
func (l *Local) Lock(ctx context.Context, kind Kind, key string) (func(), error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	k := lockKey{kind, key}
	e := l.acquireEntry(k)
	select {
	case e.sem <- struct{}{}:
		return l.unlocker(k, e), nil
	default:
	}
	select {
	case e.sem <- struct{}{}:
		return l.unlocker(k, e), nil
	case <-ctx.Done():
		l.releaseEntry(k, e)
		return nil, ctx.Err()
	}
}

// TryLock takes the lock only if it is free right now.
func (l *Local) TryLock(kind Kind, key string) (func(), bool) {
	k := lockKey{kind, key}
	e := l.acquireEntry(k)
	select {
	case e.sem <- struct{}{}:
		return l.unlocker(k, e), true
	default:
		l.releaseEntry(k, e)
		return nil, false
	}
}

func (l *Local) acquireEntry(k lockKey) *entry {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.entries == nil {
		l.entries = make(map[lockKey]*entry)
	}
	e := l.entries[k]
	if e == nil {
		e = &entry{sem: make(chan struct{}, 1)}
		l.entries[k] = e
	}
	e.refs++
	return e
}

func (l *Local) releaseEntry(k lockKey, e *entry) {
	l.mu.Lock()
	defer l.mu.Unlock()
	e.refs--
	if e.refs == 0 {
		delete(l.entries, k)
	}
}

func (l *Local) unlocker(k lockKey, e *entry) func() {
	var once sync.Once
	return func() {
		once.Do(func() {
			<-e.sem
			l.releaseEntry(k, e)
		})
	}
}

// held reports how many keys have entries; for tests.
func (l *Local) held() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.entries)
}
