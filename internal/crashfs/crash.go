package crashfs

import (
	"bytes"
	"cmp"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
)

// Policy decides, at a Crash, which of the choices the model leaves open are taken: whether
// each change not yet durable survives, and what a changed file comes back with. The zero
// Policy is KeepNothing.
type Policy struct {
	kind policyKind
	seed int64
}

type policyKind uint8

const (
	keepNothing policyKind = iota
	keepEverything
	random
)

// KeepNothing returns the policy under which nothing that was not made durable survives,
// except what the rules of the package comment force (a rename whose source directory was
// flushed), and every changed file comes back with its flushed content and attributes.
func KeepNothing() Policy { return Policy{kind: keepNothing} }

// KeepEverything returns the policy under which everything survives: the state after Crash is
// the state before it, and only the open handles are lost.
func KeepEverything() Policy { return Policy{kind: keepEverything} }

// Random returns the policy under which each change not yet durable survives with
// probability 1/2 (within the rules of the package comment), each changed file comes back
// with any of its possible contents, and changed attributes as flushed or as they were, all
// drawn from seed. The same seed and the same calls before the Crash give the same state.
func Random(seed int64) Policy { return Policy{kind: random, seed: seed} }

// String returns "keep-nothing", "keep-everything" or "random(seed)", for subtest names.
func (p Policy) String() string {
	switch p.kind {
	case keepEverything:
		return "keep-everything"
	case random:
		return fmt.Sprintf("random(%d)", p.seed)
	}
	return "keep-nothing"
}

// Crash cuts the power and reboots: f takes a state a POSIX file system could be in after a
// power failure at this moment, as the package comment describes, with p choosing among the
// possible states. Handles opened before fail with ErrPowerCut from now on. Afterwards
// everything f holds is durable, f is no longer frozen and no cut is armed; Ops and Syncs
// keep counting.
func (f *FS) Crash(p Policy) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := &crash{fs: f, policy: p, effective: map[*change]bool{}, built: map[*inode]*inode{}}
	if p.kind == random {
		c.rng = rand.New(rand.NewPCG(uint64(p.seed), 0x5eed))
	}
	c.decide()
	f.root, _ = c.build(f.root)
	f.pending = map[*inode]struct{}{}
	f.linkers = nil
	f.boot++
	f.frozen = false
	f.cutOps, f.cutSyncs = -1, -1
}

// crash works out one Crash.
type crash struct {
	fs        *FS
	policy    Policy
	rng       *rand.Rand
	effective map[*change]bool
	entries   map[*inode]map[string]*inode // after the crash, for directories with changes
	built     map[*inode]*inode            // old inode to its state after the crash
}

// coin says whether something the rules leave open happens.
func (c *crash) coin() bool {
	switch c.policy.kind {
	case keepEverything:
		return true
	case random:
		return c.rng.IntN(2) == 1
	}
	return false
}

// decide works out which unflushed changes survive, and the entries of every directory that
// had any.
func (c *crash) decide() {
	var pending []*change
	for d := range c.fs.pending {
		pending = append(pending, d.log...)
	}
	slices.SortFunc(pending, func(a, b *change) int { return cmp.Compare(a.seq, b.seq) })

	// A durable change with links needs them (rules 3 and 5): they survive, with everything
	// they depend on.
	forced := map[*change]bool{}
	var force func(ch *change)
	force = func(ch *change) {
		if forced[ch] {
			return
		}
		forced[ch] = true
		for _, d := range ch.deps {
			force(d)
		}
		for _, d := range ch.links {
			force(d)
		}
	}
	for _, l := range c.fs.linkers {
		for _, d := range l.links {
			force(d)
		}
	}

	// In order, so that what a change depends on is decided before it.
	for _, ch := range pending {
		ok := c.allEffective(ch.deps) && c.allEffective(ch.links)
		switch {
		case forced[ch]:
			ch.survived = true
		case ch.dirMove:
			ch.survived = ok
		default:
			ch.survived = ok && c.coin()
		}
	}

	c.entries = map[*inode]map[string]*inode{}
	for d := range c.fs.pending {
		m := maps.Clone(d.durKids)
		for _, ch := range d.log {
			if ch.survived {
				ch.apply(m)
			}
		}
		c.entries[d] = m
	}
}

func (c *crash) allEffective(chs []*change) bool {
	for _, ch := range chs {
		if !c.isEffective(ch) {
			return false
		}
	}
	return true
}

// isEffective reports whether ch holds after the crash: it survived, or it is durable and
// what it depends on holds (a durable entry in a directory that vanished does not).
func (c *crash) isEffective(ch *change) bool {
	if !ch.durable {
		return ch.survived
	}
	if e, ok := c.effective[ch]; ok {
		return e
	}
	e := c.allEffective(ch.deps) && c.allEffective(ch.links)
	c.effective[ch] = e
	return e
}

// build returns the state after the crash of what is reachable from old, as new inodes that
// are entirely durable. A file reached under two names is built once and gets both. A
// directory reached a second time (under a second name, or as its own descendant) keeps the
// name it was first reached by, walking from the root in name order; the other entry is
// dropped, as fsck would drop it.
func (c *crash) build(old *inode) (n *inode, ok bool) {
	if n, ok := c.built[old]; ok {
		return n, !old.dir
	}
	a := old.attr
	if a != old.durAttr && !c.coin() {
		a = old.durAttr
	}
	if !old.dir {
		n := newFile(0, c.fs.now())
		n.attr, n.durAttr = a, a
		n.data = c.content(old)
		flushFile(n)
		c.built[old] = n
		return n, true
	}
	n = newDir(0, c.fs.now())
	n.attr, n.durAttr = a, a
	c.built[old] = n
	kids, ok := c.entries[old]
	if !ok {
		kids = old.durKids
	}
	for _, name := range slices.Sorted(maps.Keys(kids)) {
		if k, ok := c.build(kids[name]); ok {
			n.kids[name] = k
		}
	}
	n.durKids = maps.Clone(n.kids)
	return n, true
}

// content returns what a file comes back with.
func (c *crash) content(old *inode) []byte {
	if !old.dirty {
		return slices.Clone(old.durData)
	}
	switch c.policy.kind {
	case keepNothing:
		return slices.Clone(old.durData)
	case keepEverything:
		return slices.Clone(old.data)
	}
	cut := old.durData[:min(old.minLen, len(old.durData))]
	choices := [][]byte{old.durData}
	for _, b := range [][]byte{cut, old.data} {
		if !slices.ContainsFunc(choices, func(x []byte) bool { return bytes.Equal(x, b) }) {
			choices = append(choices, b)
		}
	}
	if c.fs.torn > 0 {
		choices = append(choices, c.torn(old.durData, cut, old.data))
	}
	return slices.Clone(choices[c.rng.IntN(len(choices))])
}

// torn returns a file written partly: a length between the shortest and the longest of the
// versions, and each block from the flushed or the current version, zero past its end.
func (c *crash) torn(flushed, cut, current []byte) []byte {
	lo := min(len(cut), len(current))
	hi := max(len(flushed), len(current))
	out := make([]byte, lo+c.rng.IntN(hi-lo+1))
	for start := 0; start < len(out); start += c.fs.torn {
		from := flushed
		if c.rng.IntN(2) == 1 {
			from = current
		}
		end := min(start+c.fs.torn, len(out))
		if start < len(from) {
			copy(out[start:end], from[start:min(end, len(from))])
		}
	}
	return out
}
