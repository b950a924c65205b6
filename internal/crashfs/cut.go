package crashfs

import "fmt"

// Ops returns how many calls have changed f since New (Crash does not reset it): each file
// created, truncated on open, written (Write, WriteAt, WriteString, even of zero bytes) or
// truncated; each directory created (MkdirAll counts each one it makes); each entry removed
// (RemoveAll counts each one); each Rename, Chmod, Chown and Chtimes. Calls that fail are not
// counted.
func (f *FS) Ops() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.ops
}

// Syncs returns how many flush boundaries f has passed since New (Crash does not reset it):
// each successful Sync of a file or directory handle, and each SyncAll.
func (f *FS) Syncs() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.syncs
}

// CutAfterOps arms a power cut: f freezes as soon as n more Ops have completed (at once when
// n is 0), so the call after the n-th fails with ErrPowerCut. It replaces an earlier
// CutAfterOps; Crash disarms it. It panics if n < 0.
func (f *FS) CutAfterOps(n int) {
	if n < 0 {
		panic(fmt.Sprintf("crashfs: CutAfterOps(%d)", n))
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.cutOps = f.ops + n
	f.checkCut()
}

// CutAfterSyncs arms a power cut: f freezes as soon as n more flush boundaries have been
// passed (at once when n is 0). The n-th flush itself takes effect. It replaces an earlier
// CutAfterSyncs; Crash disarms it. It panics if n < 0.
func (f *FS) CutAfterSyncs(n int) {
	if n < 0 {
		panic(fmt.Sprintf("crashfs: CutAfterSyncs(%d)", n))
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.cutSyncs = f.syncs + n
	f.checkCut()
}

// PowerCut freezes f now: every later call fails with ErrPowerCut until Crash.
func (f *FS) PowerCut() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.frozen = true
}

// Frozen reports whether f is frozen, by a cut point that was reached or by PowerCut, and
// waits for Crash. A test uses it to tell a run that reached its cut point from one that
// finished first.
func (f *FS) Frozen() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.frozen
}

// mutated counts an Op that has just completed.
func (f *FS) mutated() {
	f.ops++
	f.checkCut()
}

// synced counts a flush boundary that has just been passed.
func (f *FS) synced() {
	f.syncs++
	f.checkCut()
}

func (f *FS) checkCut() {
	if f.cutOps >= 0 && f.ops >= f.cutOps || f.cutSyncs >= 0 && f.syncs >= f.cutSyncs {
		f.frozen = true
	}
}

// Cut names a point at which to cut the power: after N more flush boundaries (AfterSyncs) or
// after N more Ops. Crash-test tables list cuts as values; Arm sets one.
type Cut struct {
	AfterSyncs bool
	N          int
}

// String describes c for a test's name.
func (c Cut) String() string {
	if c.AfterSyncs {
		return fmt.Sprintf("after flush %d", c.N)
	}
	return fmt.Sprintf("after write %d", c.N)
}

// Arm arms c on f: CutAfterSyncs or CutAfterOps with c.N.
func (f *FS) Arm(c Cut) {
	if c.AfterSyncs {
		f.CutAfterSyncs(c.N)
	} else {
		f.CutAfterOps(c.N)
	}
}
