package hashstore

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"

	"github.com/spf13/afero"

	"github.com/hashstore-go/hashstore/internal/atomicfile"
	"github.com/hashstore-go/hashstore/internal/keylock"
	"github.com/hashstore-go/hashstore/internal/layout"
	"github.com/hashstore-go/hashstore/internal/linker"
	"github.com/hashstore-go/hashstore/internal/realpath"
	"github.com/hashstore-go/hashstore/internal/safeopen"
)

// The Store interfaces are the DataONE HashStore API (docs/FORMAT.md 7) in Go form, split by
// role so that a type can offer only a part (a read-only mirror, say). FileHashStore implements
// all of them; the conformance suite in hashstoretest runs against any Store that keeps the same
// on-disk layout. Options are resolved with NewStoreRequest and its siblings, so another
// implementation reads them exactly as FileHashStore does.

// ObjectReader reads objects by pid.
type ObjectReader interface {
	// RetrieveObject opens the object a pid references. The reader seeks (ranges); with
	// WithVerify it reports content that no longer matches the cid at end of file.
	RetrieveObject(ctx context.Context, pid string, opts ...RetrieveOption) (io.ReadSeekCloser, error)
	// GetHexDigest returns the hex digest of the object a pid references.
	GetHexDigest(ctx context.Context, pid string, algorithm Algorithm, opts ...DigestOption) (string, error)
	// FindObject says where a pid's object, references and system metadata live, or which
	// reference is broken.
	FindObject(ctx context.Context, pid string) (ObjectInfo, error)
}

// ObjectWriter stores and removes objects.
type ObjectWriter interface {
	// StoreObject reads r once, storing its bytes as an object named by their digest (cid).
	// With WithPID it also verifies any expectations and tags the pid; without, the object is
	// left untagged (the caller validates with DeleteIfInvalidObject, then calls TagObject).
	StoreObject(ctx context.Context, r io.Reader, opts ...StoreOption) (ObjectMetadata, error)
	// DeleteIfInvalidObject checks an untagged object against an expected checksum and size
	// and deletes it if it does not match and no pid references it (docs/FORMAT.md 7.4).
	DeleteIfInvalidObject(ctx context.Context, meta ObjectMetadata, checksum string, algorithm Algorithm, size int64) error
	// DeleteObject removes a pid: its references, its metadata, and the object if no other
	// pid references it (docs/FORMAT.md 7.8).
	DeleteObject(ctx context.Context, pid string) error
}

// Tagger makes pids reference objects.
type Tagger interface {
	// TagObject makes pid reference cid (docs/FORMAT.md 7.3).
	TagObject(ctx context.Context, pid, cid string) error
}

// MetadataStore keeps the metadata documents (system metadata) of pids.
type MetadataStore interface {
	// StoreMetadata stores (or atomically replaces) the metadata document of pid in a format
	// (default: the store's namespace) and returns its path.
	StoreMetadata(ctx context.Context, pid string, r io.Reader, opts ...MetadataOption) (string, error)
	// RetrieveMetadata opens a metadata document.
	RetrieveMetadata(ctx context.Context, pid string, opts ...MetadataOption) (io.ReadSeekCloser, error)
	// DeleteMetadata removes one metadata document; absent is not an error.
	DeleteMetadata(ctx context.Context, pid, formatID string) error
	// DeleteAllMetadata removes every metadata document of pid; none is not an error.
	DeleteAllMetadata(ctx context.Context, pid string) error
}

// Store is the whole DataONE HashStore API.
type Store interface {
	ObjectReader
	ObjectWriter
	Tagger
	MetadataStore
}

var _ Store = (*FileHashStore)(nil)

// ObjectMetadata describes a stored object: the pid it was stored under (empty when stored
// without one), its cid, its size and the hex digests computed while storing it, keyed by
// DataONE algorithm name.
type ObjectMetadata struct {
	PID        string               `json:"pid"`
	CID        string               `json:"cid"`
	Size       int64                `json:"size"`
	HexDigests map[Algorithm]string `json:"hex_digests"`
}

// ObjectInfo is what FindObject reports. Paths are joined to the store's root. For a pid with
// broken references, FindObject fills in what it could read and returns an *OrphanRefsError.
type ObjectInfo struct {
	PID         string `json:"pid"`
	CID         string `json:"cid"`
	ObjectPath  string `json:"object_path"`
	CIDRefsPath string `json:"cid_refs_path"`
	PIDRefsPath string `json:"pid_refs_path"`
	// SysmetaPath is the pid's document in the default namespace, or "" if it has none.
	SysmetaPath string `json:"sysmeta_path"`
}

// FileHashStore is a HashStore in a directory tree, byte-compatible with the Java and Python
// HashStore 1.1.0 (see docs/FORMAT.md). It is safe for concurrent use by many goroutines.
type FileHashStore struct {
	root string
	// rootPrefix is the cleaned root with a trailing separator: what every path the store
	// joins under its root starts with (see rel).
	rootPrefix string
	fs         afero.Fs
	cfg        Config
	alg        Algorithm
	files      *atomicfile.Writer
	locks      keylock.Locker
	// docLocks guards metadata documents. It is in-process only: a document is replaced or
	// removed by one atomic rename, so writers in different processes are ordered by the
	// filesystem (the last rename wins) and a file lock would add cost but no safety.
	docLocks keylock.Local
	inflight sync.Map // pids being stored by StoreObject in this process
	log      *slog.Logger
	readOnly bool
	// linker places files for StoreFile: OS hard links, or their emulation on a memory
	// filesystem (tests replace it to inject failures).
	linker linker.Linker
}

// Option sets a runtime choice of a FileHashStore (not persisted in hashstore.yaml).
type Option func(*settings)

type settings struct {
	fs       afero.Fs
	sync     bool
	group    bool
	fileMode fs.FileMode
	dirMode  fs.FileMode
	logger   *slog.Logger
	readOnly bool
	// processLocks: nil means the default (on where the filesystem is the OS's).
	processLocks *bool
	// directAfter is the atomicfile.Writer's DirectAfter: 0 for no direct writes.
	directAfter int64
	// groupCommit collects the writes of a store opened WithGroupCommit.
	groupCommit *atomicfile.Group
}

// WithFs makes the store use fsys (default: the OS filesystem). The root is a path in fsys.
func WithFs(fsys afero.Fs) Option { return func(s *settings) { s.fs = fsys } }

// WithSync turns the fsyncs of file and directory on (the default) or off. With them off a
// crash can lose what was written recently (never half a file); use it for bulk loads that are
// re-run after a crash. It ends WithGroupCommit.
func WithSync(on bool) Option { return func(s *settings) { s.sync, s.group = on, false } }

// WithGroupCommit makes the store's writes durable in groups: calls flush nothing (but a file
// replacing another and the first steps of DeleteObject, see there), and Sync makes
// everything written since the previous Sync durable at once (syncfs(2) on Linux). A bulk load
// then runs at the speed of one that flushes nothing and is durable at each Sync: it records an
// object as done only after the Sync that covers it. Until then a power loss may take away any
// write of the group, or leave a new file empty or torn (never what an earlier Sync made
// durable), so a re-run redoes what was not recorded, with WithRecovery. A metadata document
// carries no checksum: until its Sync, a power loss may leave it empty or torn, and only storing
// it again repairs it.
func WithGroupCommit() Option { return func(s *settings) { s.sync, s.group = false, true } }

// WithFileMode sets the mode of every file the store creates (default 0664, the Python
// implementation's; the Java one uses 0640). It is applied exactly, whatever the umask.
func WithFileMode(m fs.FileMode) Option { return func(s *settings) { s.fileMode = m.Perm() } }

// WithDirMode sets the mode of every directory the store creates (default 0755; Java: 0750).
func WithDirMode(m fs.FileMode) Option { return func(s *settings) { s.dirMode = m.Perm() } }

// WithLogger sends the store's diagnostics (swallowed cleanup failures, repairs) to l.
func WithLogger(l *slog.Logger) Option { return func(s *settings) { s.logger = l } }

// WithReadOnly opens the store for reading only: every write returns ErrReadOnly and nothing,
// not even a directory or lock file, is created.
func WithReadOnly() Option { return func(s *settings) { s.readOnly = true } }

// WithProcessLocks turns locking across processes on or off. It is on by default for a
// writable store on the OS filesystem: lock files in <root>/locks (outside the data layout)
// are flocked, so several processes, and several hosts sharing a filesystem with working flock
// (local disks, NFSv4, CephFS), can write one store at once. Turn it off only when one process
// is the store's sole writer. On filesystems without an OS path (afero's memory filesystem)
// locking is always in-process only.
func WithProcessLocks(on bool) Option { return func(s *settings) { s.processLocks = &on } }

// WithDirectIO turns direct writes for large objects on (the default) or off. When on, the
// content of an object (or of a metadata document) being stored goes to the device directly,
// bypassing the page cache, once DirectIOAfter bytes of it have been written, on Linux's local
// block filesystems (ext4, XFS, btrfs; never on network filesystems or tmpfs). Storing a large
// object then neither fills memory with pages nobody is about to read nor pays the kernel for
// filling them, which can be most of what writing costs (bench/README.md). The written object
// reads the same either way.
func WithDirectIO(on bool) Option {
	return func(s *settings) {
		s.directAfter = 0
		if on {
			s.directAfter = DirectIOAfter
		}
	}
}

// DirectIOAfter is how much of an object is written through the page cache before direct
// writes start (see WithDirectIO): objects up to this size never use them, since a small
// object is cheap to cache and often read back soon.
const DirectIOAfter = 8 << 20

// New opens the store at root with the properties cfg, creating it if root holds no store yet,
// which is what the reference constructors do. Opening an existing store whose hashstore.yaml
// differs from cfg fails with a *ConfigMismatchError naming the key. A directory holding
// objects/, metadata/ or refs/ but no hashstore.yaml is refused, as is the pre-release
// refs/pid, refs/cid layout.
func New(root string, cfg Config, opts ...Option) (*FileHashStore, error) {
	st := newSettings(opts)
	s, err := open(root, &cfg, st)
	return s, opErr("open store", root, err)
}

// Open opens the existing store at root with the properties recorded in its hashstore.yaml.
func Open(root string, opts ...Option) (*FileHashStore, error) {
	st := newSettings(opts)
	s, err := open(root, nil, st)
	return s, opErr("open store", root, err)
}

func newSettings(opts []Option) settings {
	st := settings{sync: true, fileMode: 0o664, dirMode: 0o755, directAfter: DirectIOAfter}
	for _, o := range opts {
		o(&st)
	}
	if st.fs == nil {
		st.fs = afero.NewOsFs()
	}
	if !st.sync && st.group {
		st.groupCommit = &atomicfile.Group{Fs: st.fs}
	}
	if st.logger == nil {
		st.logger = slog.New(slog.DiscardHandler)
	}
	return st
}

// storeDirs are created in every store (docs/FORMAT.md 2.4, the Java list).
var storeDirs = []string{
	layout.ObjectsDir, filepath.Join(layout.ObjectsDir, layout.TmpDir),
	layout.MetadataDir, filepath.Join(layout.MetadataDir, layout.TmpDir),
	layout.RefsDir, filepath.Join(layout.RefsDir, layout.TmpDir),
	layout.PIDRefsDir, layout.CIDRefsDir,
}

// rootPrefix is what every path joined under root starts with: the cleaned root and a
// separator.
func rootPrefix(root string) string {
	return strings.TrimSuffix(filepath.Clean(root), string(filepath.Separator)) + string(filepath.Separator)
}

func open(root string, want *Config, st settings) (*FileHashStore, error) {
	if root == "" {
		return nil, invalid("store path is empty")
	}
	s := &FileHashStore{
		root:       root,
		rootPrefix: rootPrefix(root),
		fs:         st.fs,
		locks:      &keylock.Local{},
		log:        st.logger,
		readOnly:   st.readOnly,
		files: &atomicfile.Writer{
			Fs: st.fs, Sync: st.sync, Group: st.groupCommit, FileMode: st.fileMode, DirMode: st.dirMode, Root: root,
			DirectAfter: st.directAfter,
		},
	}
	if want != nil {
		if err := want.validate(false); err != nil {
			return nil, err
		}
	}
	for _, old := range []string{"refs/pid", "refs/cid"} {
		if isDir(s.fs, s.path(old)) {
			return nil, fmt.Errorf("%w: %s exists: this is a pre-release Java layout (refs/pid, refs/cid instead of refs/pids, refs/cids) that this implementation does not read", ErrConfigMismatch, old)
		}
	}
	data, err := s.readEntry(s.path(layout.ConfigFile), maxConfigSize)
	switch {
	case err == nil:
		cfg, err := ParseConfig(data)
		if err != nil {
			return nil, err
		}
		if err := cfg.validate(false); err != nil {
			return nil, fmt.Errorf("%s: %w", layout.ConfigFile, err)
		}
		if want != nil {
			if err := cfg.compare(*want); err != nil {
				return nil, err
			}
		}
		s.cfg = cfg
	case errors.Is(err, fs.ErrNotExist):
		for _, d := range []string{layout.ObjectsDir, layout.MetadataDir, layout.RefsDir} {
			if exists(s.fs, s.path(d)) {
				return nil, fmt.Errorf("%w: %s/ exists but %s does not: not a store, or its configuration was lost; restore %s rather than guess", ErrConfigMismatch, d, layout.ConfigFile, layout.ConfigFile)
			}
		}
		if want == nil {
			return nil, fmt.Errorf("%w: no %s in %s (create the store first)", ErrNotFound, layout.ConfigFile, root)
		}
		if s.readOnly {
			return nil, fmt.Errorf("%w: no store to open at %s", ErrReadOnly, root)
		}
		if err := want.validate(true); err != nil {
			return nil, err
		}
		if err := s.create(*want); err != nil {
			return nil, err
		}
		s.cfg = *want
	default:
		return nil, err
	}
	s.alg, _ = s.cfg.StoreAlgorithm() // validated above
	s.linker = linker.NewMem(s.fs)
	if _, onOS := realpath.Of(s.fs, root); onOS {
		s.linker = linker.NewOS(s.fs)
	}
	if !s.readOnly && (st.processLocks == nil || *st.processLocks) {
		// Every process of a store must take the same lock files; a locks/ that is a link
		// could lead each host to files of its own, and writes out of the store.
		if fi, err := safeopen.Lstat(s.fs, s.path(layout.LocksDir)); err == nil && !fi.IsDir() {
			return nil, fmt.Errorf("%s/ is %s, not a directory: the lock files must live inside the store", layout.LocksDir, safeopen.Describe(fi.Mode()))
		}
		if real, ok := realpath.Of(s.fs, s.path(layout.LocksDir)); ok {
			locks, err := keylock.NewFiles(real, keylock.DefaultStripes, st.fileMode, st.dirMode)
			if err != nil {
				return nil, err
			}
			s.locks = locks
		}
	}
	if !s.readOnly {
		// Python creates the directories after the yaml, so a crash can leave a store with a
		// yaml and no directories; completing them on open makes that state harmless.
		for _, d := range storeDirs {
			if err := s.files.MkdirAll(s.path(d)); err != nil {
				return nil, err
			}
		}
		if g := s.files.Group; g != nil {
			dirs := []string{s.root}
			for _, d := range storeDirs {
				dirs = append(dirs, s.path(d))
			}
			g.Filesystems = atomicfile.Filesystems(s.fs, dirs...)
		}
	}
	return s, nil
}

// create writes hashstore.yaml (atomically, through a temp file in the root) before the
// directories, so an interrupted creation never leaves store directories without a yaml, which
// New would refuse.
func (s *FileHashStore) create(cfg Config) error {
	text := cfg.YAML()
	if err := s.files.MkdirAll(s.root); err != nil {
		return err
	}
	// 0644 is what both references leave on hashstore.yaml.
	if err := s.files.WithFileMode(0o644).WriteFile(s.root, s.path(layout.ConfigFile), text); err != nil {
		return err
	}
	// Two processes may create the same store at once; the last rename wins. Read back what
	// is there so a loser with different properties finds out instead of running on.
	data, err := s.readEntry(s.path(layout.ConfigFile), maxConfigSize)
	if err != nil {
		return err
	}
	got, err := ParseConfig(data)
	if err != nil {
		return err
	}
	return got.compare(cfg)
}

// Config returns the store's properties.
func (s *FileHashStore) Config() Config { return s.cfg }

// Root returns the store's root path within its filesystem.
func (s *FileHashStore) Root() string { return s.root }

func (s *FileHashStore) path(rel string) string { return filepath.Join(s.root, rel) }

// hashID is H(id): the store algorithm's lowercase hex digest of id's UTF-8 bytes.
func (s *FileHashStore) hashID(id string) string {
	h := s.alg.New()
	io.WriteString(h, id)
	return hex.EncodeToString(h.Sum(nil))
}

func (s *FileHashStore) shard(dir, id string) string {
	return s.path(layout.ShardPath(dir, id, s.cfg.Depth, s.cfg.Width))
}

// objectPath is where the object named cid lives (whether or not it exists).
func (s *FileHashStore) objectPath(cid string) string { return s.shard(layout.ObjectsDir, cid) }

// cidRefsPath is the path of cid's refs file.
func (s *FileHashStore) cidRefsPath(cid string) string { return s.shard(layout.CIDRefsDir, cid) }

// pidRefsPath is the path of pid's refs file: refs/pids/shard(H(pid)).
func (s *FileHashStore) pidRefsPath(pid string) string {
	return s.shard(layout.PIDRefsDir, s.hashID(pid))
}

// metadataDir is the directory holding pid's metadata documents.
func (s *FileHashStore) metadataDir(pid string) string {
	return s.shard(layout.MetadataDir, s.hashID(pid))
}

// metadataPath is the path of pid's document in formatID: metadataDir(pid)/H(pid+formatID).
func (s *FileHashStore) metadataPath(pid, formatID string) string {
	return filepath.Join(s.metadataDir(pid), s.hashID(pid+formatID))
}

// checkCID validates a cid supplied by a caller before any path is built from it: it must be
// a valid identifier and name a file inside objects/ (no path separators, "..", NUL, nor a
// shard that would land on tmp/). The error matches ErrInvalidArgument.
func (s *FileHashStore) checkCID(cid string) error {
	if err := CheckIdentifier("cid", cid); err != nil {
		return err
	}
	if err := layout.CheckID(cid, s.cfg.Depth, s.cfg.Width); err != nil {
		return invalid("cid: %v", err)
	}
	return nil
}

func (s *FileHashStore) writable() error {
	if s.readOnly {
		return ErrReadOnly
	}
	return nil
}

func (s *FileHashStore) tmpDir(area string) string { return s.path(filepath.Join(area, layout.TmpDir)) }

func exists(fsys afero.Fs, p string) bool {
	_, err := fsys.Stat(p)
	return err == nil
}

func isDir(fsys afero.Fs, p string) bool {
	fi, err := fsys.Stat(p)
	return err == nil && fi.IsDir()
}

func notExist(err error) bool { return errors.Is(err, fs.ErrNotExist) }

// lockPID takes the pid lock. It is keyed by H(pid), the name of the pid refs file, so that
// code which finds a pid refs file by walking the tree (the audit), and knows only the hash,
// takes the same lock.
func (s *FileHashStore) lockPID(ctx context.Context, pid string) (func(), error) {
	return s.lockPIDHash(ctx, s.hashID(pid))
}

func (s *FileHashStore) lockPIDHash(ctx context.Context, pidHash string) (func(), error) {
	return s.locks.Lock(ctx, keylock.PID, pidHash)
}

// lockDoc takes the lock of the metadata document at path (see docLocks).
func (s *FileHashStore) lockDoc(ctx context.Context, path string) (func(), error) {
	return s.docLocks.Lock(ctx, keylock.Metadata, path)
}
