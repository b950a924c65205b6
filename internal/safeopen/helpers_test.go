package safeopen

import (
	"errors"
	"io/fs"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// deadline bounds every open in these tests: a regression that blocks on a FIFO fails the
// test instead of hanging it.
const deadline = 2 * time.Second

// within runs call in a goroutine and fails the test if it has not returned by the deadline.
func within[T any](t *testing.T, call func() (T, error)) (T, error) {
	t.Helper()
	type result struct {
		v   T
		err error
	}
	done := make(chan result, 1)
	go func() {
		v, err := call()
		done <- result{v, err}
	}()
	select {
	case r := <-done:
		return r.v, r.err
	case <-time.After(deadline):
		t.Fatalf("call still blocked after %v", deadline)
		panic("unreachable")
	}
}

// content is what every regular file in the tests holds.
const content = "the regular file's content\n"

// assertRefused checks that err is a *NotRegularError for path that found want (dir: a
// directory on the way).
func assertRefused(t *testing.T, err error, path, want string, dir bool) {
	t.Helper()
	require.ErrorIs(t, err, ErrNotRegular)
	var nr *NotRegularError
	require.ErrorAs(t, err, &nr)
	assert.Equal(t, path, nr.Path)
	assert.Equal(t, want, nr.Found)
	assert.Equal(t, dir, nr.Dir)
	assert.Contains(t, err.Error(), want, "the message says what was found")
}

// skipIfRoot skips tests of permissions, which root ignores.
func skipIfRoot(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("running as root, which may read any file")
	}
}

func isNotExist(err error) bool { return errors.Is(err, fs.ErrNotExist) }
