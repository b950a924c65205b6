// Package links places existing files into a HashStore by hard link: the hard-link converter
// that Metacat repositories need (FORMAT.md 7.12, the Java FileHashStoreLinks.storeHardLink).
// A source file is read once to compute every digest, verified against the expectations given,
// and linked into objects/shard(cid), so no data byte is written and no disk space is used
// twice; then the pid is tagged.
//
// A Store wraps a *hashstore.FileHashStore and shares all of its machinery: options are the
// store's own (hashstore.WithPID, WithChecksum, WithExpectedSize, WithAdditionalAlgorithm,
// validated by its PlanStore), and hashing, verification, the pid and cid locks, the existence
// check, tagging and the ErrAlreadyTagged / ErrPidTaggedElsewhere decisions are its Ingest. This
// package only supplies the source (a file reached through a Linker) and a hashstore.Sink that
// links instead of writing.
//
// # What a call does
//
//  1. Validate the options, then look at the source: a missing source is an error matching
//     hashstore.ErrNotFound and fs.ErrNotExist; a directory, FIFO, device or socket is
//     hashstore.ErrInvalidArgument, refused before it is opened (and the open itself cannot
//     block on a special file swapped in meanwhile). Symbolic links are followed: the file
//     they name is hashed and linked, never the link itself (the Java implementation would
//     link the symbolic link).
//  2. If the source and the store are on different filesystems, stop here with a
//     *CrossDeviceError (or copy, see OnCrossDevice), before anything has been read. (Two
//     mounts of one filesystem cannot be told apart in advance; link(2) refuses them at step
//     4, with the same error or fallback.)
//  3. Open the source read-only and read it once, computing all digests; verify the size and
//     every checksum given.
//  4. Under the cid lock: if objects/shard(cid) does not exist, hard-link the source there
//     (fsyncing the source's data first and the directory after when the store syncs) and
//     check that the new link is the file that was read; if the object exists and is the
//     source's own file (a re-run), nothing to do; if it exists as another file of the right
//     size, keep it: the store already holds this content.
//  5. Tag the pid.
//
// Nothing is created in the store before step 4, and no temp file at all. A source whose size
// or modification time changes during the read, or whose path names another file by the time
// it is linked, is refused with ErrSourceChanged and nothing is placed. After the conversion
// the object and the source are one file: the source must not be modified in place later
// (Metacat never does).
//
// # The source is never modified
//
// Its content, mode, owner and modification time are untouched and no byte is written
// anywhere. Its link count rises by one while the store references it (and its ctime changes,
// as with any link). DeleteObject of the pid removes only the store's name.
//
// # Errors and re-runs
//
// Bad input leaves the store exactly as it was. A failure found under the cid lock (a source
// changed at the last moment, a link refused across two mounts, a failing disk) may leave the
// object's new, empty shard directories, which no implementation ever removes. As with
// StoreObject, a pid already tagged to
// this content returns the complete ObjectMetadata together with an error matching
// hashstore.ErrAlreadyTagged (callers that re-run conversions treat it as done); tagged to
// other content it fails with hashstore.ErrPidTaggedElsewhere. A run interrupted between the
// link and the tag leaves an untagged object that is the source's own file; running it again
// finds it (Placement AlreadyLinked) and completes the tag.
//
// # Differences from the Java implementation
//
// Java ignores an existing object without looking at it, links a symbolic link rather than its
// target, does not notice a source changed or replaced during the read, and fails a second
// call for a pid. Here an existing object must have the right size (hashstore.ErrCorrupt
// otherwise), symbolic links are followed, changes are refused, a pid tagged to the same
// content reports ErrAlreadyTagged with full metadata, and a source on another filesystem is a
// typed error found before the read, with an optional copy fallback (OnCrossDevice).
package links
