//go:build !unix

package links_test

import "testing"

// nlink is not available here; tests that need it skip.
func nlink(t testing.TB, p string) int {
	t.Helper()
	t.Skip("link counts need a unix system")
	return 0
}
