package hashstore_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/hashstore-go/hashstore/hashstore"
)

// TestErrorKind: every class of error has its word, however deeply the error is wrapped; an
// error of no class is "io".
func TestErrorKind(t *testing.T) {
	wrap := func(err error) error {
		return &hashstore.OpError{Op: "link object", ID: "pid", Err: fmt.Errorf("/data/file: %w", err)}
	}
	for want, err := range map[string]error{
		"invalid_argument":      hashstore.ErrInvalidArgument,
		"unsupported_algorithm": hashstore.ErrUnsupportedAlgorithm,
		"in_progress":           hashstore.ErrInProgress,
		"size_mismatch":         &hashstore.SizeMismatchError{Expected: 1, Actual: 2},
		"checksum_mismatch":     &hashstore.ChecksumMismatchError{Algorithm: hashstore.MD5},
		"already_tagged":        &hashstore.TaggedError{PID: "p", ExistingCID: "c", CID: "c"},
		"pid_tagged_elsewhere":  &hashstore.TaggedError{PID: "p", ExistingCID: "c", CID: "d"},
		"not_found":             hashstore.ErrNotFound,
		"orphan_refs":           &hashstore.OrphanRefsError{PID: "p", CID: "c", Reason: hashstore.ErrObjectMissing},
		"config_mismatch":       &hashstore.ConfigMismatchError{Key: "store_depth"},
		"corrupt":               &hashstore.CorruptObjectError{CID: "c"},
		"read_only":             hashstore.ErrReadOnly,
		"cross_device": &hashstore.CrossDeviceError{Source: "/data/file", Store: "/store",
			Err: &os.LinkError{Op: "link", Old: "/data/file", New: "/store/objects/x", Err: syscall.EXDEV}},
		"source_changed": fmt.Errorf("%w: 10 bytes before, 12 after", hashstore.ErrSourceChanged),
		"canceled":       context.Canceled,
	} {
		assert.Equal(t, want, hashstore.ErrorKind(wrap(err)), "%v", err)
	}
	assert.Equal(t, "not_found", hashstore.ErrorKind(wrap(&fs.PathError{Op: "open", Path: "/x", Err: fs.ErrNotExist})))
	assert.Equal(t, "canceled", hashstore.ErrorKind(wrap(context.DeadlineExceeded)))
	assert.Equal(t, "io", hashstore.ErrorKind(wrap(syscall.EIO)))
	assert.Equal(t, "io", hashstore.ErrorKind(errors.New("something else")))

	// The typed errors match their sentinels, and the cross-device one the system's errno.
	xd := &hashstore.CrossDeviceError{Source: "/data/file", Store: "/store", Err: syscall.EXDEV}
	assert.ErrorIs(t, xd, hashstore.ErrCrossDevice)
	assert.ErrorIs(t, xd, syscall.EXDEV)
	assert.Contains(t, xd.Error(), "/data/file")
	assert.Contains(t, xd.Error(), "/store")
}
