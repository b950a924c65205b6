//go:build !unix

package converter_test

import "testing"

// nlinkOf is not available here; tests that need it skip.
func nlinkOf(t testing.TB, p string) int {
	t.Helper()
	t.Skip("link counts need a unix system")
	return 0
}

// crossDeviceDir is not available here; tests that need it skip.
func crossDeviceDir(t testing.TB) string {
	t.Helper()
	t.Skip("the cross-device setup needs a unix system")
	return ""
}
