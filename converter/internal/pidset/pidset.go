// Package pidset holds the pid hash of bulk runs and a compact set of such hashes, so that
// duplicate detection over millions of pids costs about 16 bytes per pid, not a map of strings.
package pidset

import "hash/fnv"

// Hash is the stable 64-bit hash of a pid: FNV-1a over its UTF-8 bytes. It decides shards
// (--shard I/N takes the pids with Hash(pid) % N == I, docs/CLI.md), so it must never change.
func Hash(pid string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(pid))
	return h.Sum64()
}

// mix scrambles a hash so that its low bits are usable as a table index even when the input
// hashes share their residue modulo the shard count (splitmix64's finaliser).
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// Set is an open-addressing hash set of pid hashes, each with a value (the ordinal of the
// entry where it was first seen), in 12 bytes per slot at a load of at most 3/4. The zero
// value is an empty set.
type Set struct {
	keys []uint64 // 0 = empty; a real hash of 0 is stored as zeroKey
	vals []uint32
	n    int
}

// Reserve sizes an empty set for n entries.
func (s *Set) Reserve(n int) {
	size := 1024
	for size*3 < n*4 {
		size *= 2
	}
	if len(s.keys) < size && s.n == 0 {
		s.keys, s.vals = make([]uint64, size), make([]uint32, size)
	}
}

const zeroKey = 0x9e3779b97f4a7c15

// LookupOrAdd returns the value stored for h and true if h is present; otherwise it adds h
// with v and returns false.
func (s *Set) LookupOrAdd(h uint64, v uint32) (uint32, bool) {
	if h == 0 {
		h = zeroKey
	}
	if s.n*4 >= len(s.keys)*3 {
		s.grow()
	}
	mask := uint64(len(s.keys) - 1)
	for i := mix(h) & mask; ; i = (i + 1) & mask {
		switch s.keys[i] {
		case h:
			return s.vals[i], true
		case 0:
			s.keys[i], s.vals[i] = h, v
			s.n++
			return 0, false
		}
	}
}

// Contains reports whether h is in the set.
func (s *Set) Contains(h uint64) bool {
	if h == 0 {
		h = zeroKey
	}
	if len(s.keys) == 0 {
		return false
	}
	mask := uint64(len(s.keys) - 1)
	for i := mix(h) & mask; ; i = (i + 1) & mask {
		switch s.keys[i] {
		case h:
			return true
		case 0:
			return false
		}
	}
}

func (s *Set) grow() {
	size := 1024
	if len(s.keys) > 0 {
		size = len(s.keys) * 2
	}
	keys, vals := s.keys, s.vals
	s.keys, s.vals, s.n = make([]uint64, size), make([]uint32, size), 0
	for i, k := range keys {
		if k != 0 {
			s.LookupOrAdd(k, vals[i])
		}
	}
}
