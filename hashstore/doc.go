// Package hashstore stores data objects by content hash in a directory tree that the DataONE
// HashStore 1.1.0 implementations (Java and Python) can open, and opens theirs.
//
// # Layout
//
// An object lives at objects/shard(cid), where cid is the lowercase hex digest of its bytes in
// the store algorithm (normally SHA-256) and shard splits an id into depth directories of width
// characters plus the rest. A pid (persistent identifier) is tagged to a cid by two reference
// files: refs/pids/shard(H(pid)) holds the cid (no newline) and refs/cids/shard(cid) lists every
// pid using the object, one per line. Metadata documents live at
// metadata/shard(H(pid))/H(pid+formatID). The store's properties are in hashstore.yaml.
// docs/FORMAT.md in this repository is the full contract.
//
// # Using it
//
//	s, err := hashstore.New("/var/hashstore", hashstore.DefaultConfig())
//	meta, err := s.StoreObject(ctx, file, hashstore.WithPID("doi:10.5063/F1X"),
//		hashstore.WithChecksum(md5hex, hashstore.MD5), hashstore.WithExpectedSize(size))
//	path, err := s.StoreMetadata(ctx, "doi:10.5063/F1X", sysmetaXML)
//	r, err := s.RetrieveObject(ctx, "doi:10.5063/F1X") // an io.ReadSeekCloser
//	err = s.DeleteObject(ctx, "doi:10.5063/F1X")
//
// StoreFile stores a file that already exists, and with WithLink(LinkFile) makes the file
// itself the object, by hard link, which is how a repository is converted without copying.
//
// Every error matches one of the sentinels (ErrNotFound, ErrChecksumMismatch, ...) under
// errors.Is, and its message names the operation and the identifier. Bad input changes nothing.
//
// The interfaces ObjectReader, ObjectWriter, Tagger and MetadataStore (together, Store) are
// the API by role; FileHashStore implements them all, and the conformance suite in
// hashstoretest checks any implementation that keeps this layout.
//
// # Atomicity and durability
//
// Every file appears atomically: it is written under a temporary name in its area's tmp/
// directory and renamed into place, so readers see the old state or the complete new file.
// Objects are never overwritten: the existence check and the rename happen under the cid lock.
//
// With the default WithSync(true), a call that returns success is durable: the new file was
// fsynced before its rename, and its directory (and the parent of any directory created for it)
// after. Deletions fsync the directories they changed. StoreObject, TagObject, StoreMetadata,
// DeleteObject, DeleteMetadata, DeleteAllMetadata and StoreFile all obey this.
//
// With WithSync(false) none of those fsyncs happen. After a power loss or kernel crash (not
// after a mere process crash: the page cache survives that) recently written files may be
// missing or, where the filesystem does not order data before renames, empty; a re-run of the
// interrupted work restores them. Use it for bulk loads that are journaled and re-runnable.
//
// # Crashes
//
// A call changes several files (object, cid refs, pid refs, metadata); that cannot be one atomic
// step, so the steps are ordered so that every intermediate state is one a retry of the same
// call completes and an audit recognises:
//
//   - StoreObject/TagObject place the object, then add the pid to the cid refs file, then write
//     the pid refs file. Interrupted, they leave an untagged object or a pid listed in a cid refs
//     file without its pid refs file; calling again finishes the tag.
//   - DeleteObject renames the pid's metadata, the object and the cid refs file (or rewrites it
//     without the pid) and finally the pid refs file to "_delete" names, then unlinks them.
//     Interrupted, it leaves "_delete" files (readers ignore them) and a pid whose references are
//     broken; calling DeleteObject again removes what is left.
//   - Temp files of an interrupted write stay in tmp/ until an audit removes them.
//
// # Concurrency
//
// A FileHashStore is safe for concurrent use. Operations lock the pid, the cid and the metadata
// document they touch (always in that order), and never hold a lock while reading a caller's
// reader. Two concurrent StoreObject (or StoreFile) calls for the same pid on one
// FileHashStore: one succeeds, the other fails at once with ErrInProgress.
//
// Readers (RetrieveObject, RetrieveMetadata, FindObject, GetHexDigest) take no lock, so a
// reader racing a DeleteObject of the same pid can see the delete half done: it gets
// ErrNotFound, or briefly ErrOrphanRefs (the pid refs file still names the cid, the object or
// its cid refs file is already gone). Neither can happen to a pid nobody is deleting. On a
// POSIX filesystem an object already opened by RetrieveObject stays readable to its end after
// it is deleted.
//
// # Modes
//
// Files are created 0664 and directories 0755 by default (the Python implementation's modes;
// Java uses 0640 and 0750). WithFileMode and WithDirMode change them; they are applied exactly,
// whatever the umask. hashstore.yaml is 0644.
package hashstore
