package safeopen

import (
	"errors"
	"io/fs"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

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

func isNotExist(err error) bool { return errors.Is(err, fs.ErrNotExist) }
