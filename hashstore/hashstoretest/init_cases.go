package hashstoretest

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func init() {
	register("C001", "CreatesDirectories", func(t *testing.T, e *Env) {
		for _, d := range []string{"objects", "objects/tmp", "metadata", "metadata/tmp", "refs", "refs/tmp", "refs/pids", "refs/cids"} {
			fi, err := e.Fs.Stat(e.Path(d))
			if assert.NoError(t, err, d) {
				assert.True(t, fi.IsDir(), d)
			}
		}
	})
}
