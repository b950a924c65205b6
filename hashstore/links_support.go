package hashstore

// Accessors for packages that extend FileHashStore with other ways of placing content (the
// hard-link converter in package links). They expose runtime settings, never store logic.

// ReadOnly reports whether the store was opened with WithReadOnly, in which case every write
// fails with ErrReadOnly. Extensions check it before creating anything (even a temp file) in
// the store.
func (s *FileHashStore) ReadOnly() bool { return s.readOnly }

// SyncFile makes f's content durable (f.Sync, an fsync on the OS) when the store syncs
// (WithSync, the default) and does nothing otherwise. Sinks that place a file the store did
// not write itself call it before renaming the file into place, as they call SyncDir after.
func (s *FileHashStore) SyncFile(f interface{ Sync() error }) error {
	if !s.files.Sync {
		return nil
	}
	return f.Sync()
}
