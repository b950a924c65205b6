package hashstoretest

// Reading back what a store holds: through its API, through the paths it reports, and from its
// files directly.

import (
	"bytes"
	"io"
	"io/fs"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hashstore-go/hashstore/hashstore"
)

// readAll reads r to the end, returning what was read and the error that ended it (nil for a
// clean io.EOF).
func readAll(r io.Reader) ([]byte, error) {
	var b bytes.Buffer
	_, err := io.Copy(&b, r)
	return b.Bytes(), err
}

// readOpened reads to the end and closes what an open call returned, or passes its error on:
// readOpened(s.RetrieveObject(ctx, pid)).
func readOpened[R io.ReadCloser](r R, err error) ([]byte, error) {
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return readAll(r)
}

// closeIfOpened closes what an open call returned and passes its error on, for calls whose
// error is all that matters: closeIfOpened(s.RetrieveObject(ctx, pid)).
func closeIfOpened[R io.Closer](r R, err error) error {
	if err == nil {
		r.Close()
	}
	return err
}

// retrieveAll opens pid's object and reads it to the end.
func retrieveAll(e *Env, pid string, opts ...hashstore.RetrieveOption) ([]byte, error) {
	return readOpened(e.Store.RetrieveObject(e.Context, pid, opts...))
}

// retrieveMeta reads a whole metadata document through RetrieveMetadata.
func retrieveMeta(e *Env, pid string, opts ...hashstore.MetadataOption) ([]byte, error) {
	return readOpened(e.Store.RetrieveMetadata(e.Context, pid, opts...))
}

// readFileAt reads a file by the full path the store reported.
func readFileAt(e *Env, p string) ([]byte, error) { return readOpened(e.Fs.Open(p)) }

// cidRefsLines returns the lines of cid's refs file, split on "\n" with the final empty
// element dropped (so a file without a final newline shows as a line too).
func cidRefsLines(t *testing.T, e *Env, cid string) []string {
	t.Helper()
	s := string(e.ReadFile(CIDRefsPath(cid)))
	s = strings.TrimSuffix(s, "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// modeOf returns the permission bits of a store-relative path.
func modeOf(t *testing.T, e *Env, rel string) fs.FileMode {
	t.Helper()
	fi, err := e.Fs.Stat(e.Path(rel))
	require.NoError(t, err)
	return fi.Mode().Perm()
}
