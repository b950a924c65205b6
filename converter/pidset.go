package converter

// PIDHash is the stable 64-bit hash of a pid: FNV-1a over its UTF-8 bytes. --shard I/N takes
// the pids with PIDHash(pid) % N == I.
func PIDHash(pid string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(pid); i++ {
		h ^= uint64(pid[i])
		h *= 1099511628211
	}
	return h
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

// pidSet is an open-addressing hash set of pid hashes, each with a value (the ordinal of the
// entry where it was first seen), in 12 bytes per slot at a load of at most 3/4. It exists so
// that duplicate detection over millions of pids costs about 16 bytes per pid, not a map of
// strings.
type pidSet struct {
	keys []uint64 // 0 = empty; a real hash of 0 is stored as zeroKey
	vals []uint32
	n    int
}

// reserve sizes an empty set for n entries.
func (s *pidSet) reserve(n int) {
	size := 1024
	for size*3 < n*4 {
		size *= 2
	}
	if len(s.keys) < size && s.n == 0 {
		s.keys, s.vals = make([]uint64, size), make([]uint32, size)
	}
}

const zeroKey = 0x9e3779b97f4a7c15

// lookupOrAdd returns the value stored for h and true if h is present; otherwise it adds h
// with v and returns false.
func (s *pidSet) lookupOrAdd(h uint64, v uint32) (uint32, bool) {
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

func (s *pidSet) grow() {
	size := 1024
	if len(s.keys) > 0 {
		size = len(s.keys) * 2
	}
	keys, vals := s.keys, s.vals
	s.keys, s.vals, s.n = make([]uint64, size), make([]uint32, size), 0
	for i, k := range keys {
		if k != 0 {
			s.lookupOrAdd(k, vals[i])
		}
	}
}
