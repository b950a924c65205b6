// Package crashfs is an in-memory afero.Fs for crash tests that cut the power, not just the
// process. It remembers, for every file and directory, what a flush has made durable and what
// is still only in memory. Crash turns it into a state a POSIX file system could be in after
// a power failure, and the test carries on as after a reboot: it reopens the store and checks
// that nothing it was promised is lost.
//
// # What makes state durable
//
// Only three calls do:
//
//   - File.Sync on a regular file (fsync): its content and attributes (mode and modification
//     time) as they are now. Not its name: a new file whose directory was not flushed may
//     vanish although its data was.
//   - File.Sync on a directory opened with Open: its entries as they are now, meaning every
//     name in it and the file or directory each refers to, so every creation, removal and
//     rename into or out of it; and its attributes. Not its own name in its parent, and not
//     the content of the files it lists.
//   - FS.SyncAll (syncfs(2)): everything.
//
// Nothing else is: not Close, not a rename, not the order in which calls were made.
//
// # What a crash does
//
// Directory entries. Each directory comes back with its durable entries, and each change
// made to it since (a create, mkdir, remove, or a rename into, out of or within it) has
// survived or not, subject to these rules:
//
//  1. Per name, in order: a change to a name survives only if the previous unflushed change
//     to the same name did. A name is thus bound as it was at some moment since its directory
//     was last flushed, never to something it never held.
//  2. A rename within one directory is one change: it survives as a whole or not at all.
//  3. A rename from directory S to directory T is two changes. The new name in T survives
//     only if the old name in S held the file (the change that gave it that name, if not
//     flushed, survived). It may survive without the removal from S (the file then has both
//     names, as on file systems that write the new link before removing the old one), but
//     the removal never survives
//     unless the new name counts (rule 4): a rename never leaves a file without a name. A
//     directory's removal from S survives exactly when its new name counts, so that it does
//     not get two names. Once S has been flushed after the rename, the new name survives even
//     if T has not been flushed, with everything it depends on (rule 4), up to the root.
//  4. A new name given to a directory (by mkdir or rename), and any name moved into T from
//     another directory, count only where they were made: they depend on the change that
//     created or last moved each directory on the way from the root to their directory. So
//     a directory created (or moved) but never flushed in its parent may come back gone (or
//     where it was) with everything in it, and the names rule 3 moved into it do not count.
//  5. Removing a directory (or renaming another over it) survives only if every unflushed
//     change to its entries before that did, so a file moved out of a directory just before
//     the directory was removed is not lost with it.
//
// Beyond these rules changes are independent: across directories, and across names in one
// directory. No order between them is assumed.
//
// File content. A file whose content has not changed since its last flush comes back as
// flushed. A file changed since comes back with one of:
//
//   - its flushed content (empty if it was never flushed);
//   - its flushed content cut to the shortest length it had since the flush: a truncation
//     survived, the data written after it did not (a file rewritten through O_TRUNC comes
//     back empty, as on ext4 with delayed allocation);
//   - its current content;
//   - with WithTornWrites, a mix: any length from the cut one to the longest, each block
//     holding flushed or current bytes, zeros past the end of the version it comes from.
//
// Content is chosen independently of names: a file can come back under the name a rename
// gave it with its old or empty content. That is how renaming a file that was never fsynced
// loses data.
//
// Attributes (mode and modification time) come back as flushed or as they were, as a unit.
// Ownership is not kept (Chown changes nothing visible: FileInfo.Sys is nil).
//
// Whatever is unreachable from the root afterwards (removed files, directories that vanished)
// is gone. Handles opened before the crash are dead: their calls fail with ErrPowerCut.
//
// One corner the rules leave open: a directory moved into T, where T was flushed but T's own
// place was not durable, is both in T (flushed) and, by rule 3, still in S. Like fsck, the
// crash keeps one of the two names, the first found walking from the root in name order, and
// drops the other entry; it drops an entry that would make a directory its own ancestor too.
//
// So a new file is durable once it was fsynced, then its directory, and the parent of every
// directory created for it; a rename once both directories were flushed after it (the file
// keeps the content last flushed).
//
// # Why this model is conservative
//
// It promises what fsync promises and nothing more, plus three properties that every Linux
// journaling file system (ext4, XFS, btrfs) has and that code cannot work without: a single
// directory entry changes atomically (a name refers to the old or the new file, never to
// garbage), a rename never loses the file, and a crash never destroys what was durable. It does
// not assume, and so tests written against it do not rely on:
//
//   - that fsync of a file makes its name durable, or fsync of a directory its own name;
//   - that changes reach the disk in the order they were made (ext4's journal and
//     data=ordered give that; POSIX does not);
//   - that data written before a rename is durable when the rename is (ext4's
//     auto_da_alloc heuristic);
//   - anything about a file's content after it changed, other than the states listed above.
//
// The model does produce states a particular file system would not (a later file surviving an
// earlier one in the same directory, say). That is the point: code must not depend on them.
//
// # Crash policies
//
// KeepNothing loses every change not made durable (except what rules 3 and 4 force to
// survive), and files come back as last flushed. KeepEverything loses nothing; only handles
// die. Random(seed) lets each change survive with probability 1/2 within the rules, and each
// changed file come back with any of its possible contents; the same seed and the same calls
// give the same state.
//
// # Cut points
//
// Ops counts the calls that changed the file system, Syncs the flush boundaries: every Sync
// of a file or directory and every SyncAll. CutAfterOps(n) and CutAfterSyncs(n) make the file
// system freeze once n more of them have completed; PowerCut freezes it at once. While frozen,
// every call, reads included, fails with ErrPowerCut and changes nothing, until Crash. A test
// first runs its code once to count Ops and Syncs, then reruns it cut after each k: CutAfterOps
// for k in 0..Ops and CutAfterSyncs for k in 1..Syncs reach every state the run passes through.
//
// # Other differences from a real file system
//
// Paths are slash-separated and cleaned lexically; a relative name is taken from the root.
// There are no symbolic or hard links (a file given two names by rule 3 comes back as one
// file with two names), no umask, no permission checks, and no limit on size or space. An FS
// is safe for concurrent use: one lock serialises all its calls.
package crashfs
