//go:build !linux

package atomicfile

import "errors"

// syncfsSupported: only Linux has syncfs(2); elsewhere a Group flushes file by file.
const syncfsSupported = false

func syncfs(string) error { return errors.ErrUnsupported }
