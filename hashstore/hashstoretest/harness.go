// Package hashstoretest is the conformance suite for stores that keep the on-disk layout of
// DataONE's HashStore (docs/FORMAT.md). Each case pins one or more ids of docs/CONFORMANCE.md
// and runs as the subtest "<id>_<Name>" that the checklist's "pinned by" column names; the ids
// the suite does not cover are listed, with the reason, in UNCOVERED.md beside this file.
//
// The suite reaches the store under test only through a Harness: the hashstore.Store that
// Harness.Open returns, and the filesystem and root where that store keeps its files, which the
// cases read (to check the layout byte for byte) and write (to set up broken states, or a store
// as the Java and Python implementations leave it). Expected paths and bytes are computed here,
// from the reference vectors, never asked of the implementation.
//
// To run the suite against FileHashStore:
//
//	func TestConformance(t *testing.T) {
//		hashstoretest.Run(t, hashstoretest.FileHashStore(hashstoretest.OSRoot))
//	}
//
// To run it against another implementation, build a Harness whose NewRoot names a directory on
// an afero.Fs where the cases see the files the implementation writes (afero.NewOsFs and a
// directory a server stores into, for a client of that server), whose Open returns the
// implementation's hashstore.Store for that root, and whose Load opens an existing store with
// the properties of its hashstore.yaml. The cases that inject filesystem failures open a second
// store through Open on a failing view of that afero.Fs, so they mean something only for an
// implementation that does its file I/O through the afero.Fs it is given; Harness.Skip can
// leave out the ids whose premise an implementation does not share.
package hashstoretest

import (
	"path/filepath"
	"testing"

	"github.com/spf13/afero"

	"github.com/hashstore-go/hashstore/hashstore"
)

// Harness tells Run how to make, open and reopen the stores under test.
type Harness struct {
	// NewRoot returns a filesystem and a path in it where no store exists yet. Each case
	// calls it once (or more, for cases about several stores).
	NewRoot func(t *testing.T) (afero.Fs, string)
	// Open opens the store at root, creating it with cfg if there is none (hashstore.New
	// semantics: an existing store with other properties is refused).
	Open func(t *testing.T, fsys afero.Fs, root string, cfg hashstore.Config) (hashstore.Store, error)
	// Load, if set, opens the existing store at root with the properties its hashstore.yaml
	// records, and returns them (hashstore.Open semantics: without hashstore.yaml it fails with
	// ErrNotFound and creates nothing). The cases about loading a store's properties skip
	// without it.
	Load func(t *testing.T, fsys afero.Fs, root string) (hashstore.Store, hashstore.Config, error)
	// Put, if set, replaces Store.StoreObject as the way cases add data (with the same
	// options and the same results). The hard-link converter sets it to link files in.
	Put func(t *testing.T, e *Env, data []byte, opts ...hashstore.StoreOption) (hashstore.ObjectMetadata, error)
	// Skip, if set, is asked about each case id; a non-empty answer skips the case with that
	// reason (for harnesses where a case's premise does not apply, such as a case about
	// reading from a failing stream when data arrives by hard link).
	Skip func(id string) string
}

// FileHashStore is the Harness for hashstore.FileHashStore on the filesystems newRoot makes,
// opened with opts (WithFs is added).
func FileHashStore(newRoot func(t *testing.T) (afero.Fs, string), opts ...hashstore.Option) Harness {
	with := func(fsys afero.Fs) []hashstore.Option {
		return append([]hashstore.Option{hashstore.WithFs(fsys)}, opts...)
	}
	return Harness{
		NewRoot: newRoot,
		Open: func(t *testing.T, fsys afero.Fs, root string, cfg hashstore.Config) (hashstore.Store, error) {
			s, err := hashstore.New(root, cfg, with(fsys)...)
			if err != nil {
				return nil, err
			}
			return s, nil
		},
		Load: func(t *testing.T, fsys afero.Fs, root string) (hashstore.Store, hashstore.Config, error) {
			s, err := hashstore.Open(root, with(fsys)...)
			if err != nil {
				return nil, hashstore.Config{}, err
			}
			return s, s.Config(), nil
		},
	}
}

// OSRoot is a NewRoot on the OS filesystem in a fresh t.TempDir.
func OSRoot(t *testing.T) (afero.Fs, string) {
	return afero.NewOsFs(), filepath.Join(t.TempDir(), "store")
}

// MemRoot is a NewRoot on afero's memory filesystem.
func MemRoot(t *testing.T) (afero.Fs, string) { return afero.NewMemMapFs(), "/hashstore" }

// testCase is one case of the suite: the docs/CONFORMANCE.md id (or range of ids, such as
// "C037-C040") it pins, its name, and the function that runs it.
type testCase struct {
	id   string
	name string
	fn   func(t *testing.T, e *Env)
}

// Run runs every case of the suite, in id order, as subtest "<id>_<name>", each on a fresh
// store with hashstore.DefaultConfig made by h.
func Run(t *testing.T, h Harness) {
	for _, c := range cases {
		t.Run(c.id+"_"+c.name, func(t *testing.T) {
			if h.Skip != nil {
				if why := h.Skip(c.id); why != "" {
					t.Skip(why)
				}
			}
			c.fn(t, NewEnv(t, h, hashstore.DefaultConfig()))
		})
	}
}
