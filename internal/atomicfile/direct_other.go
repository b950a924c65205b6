//go:build !linux

package atomicfile

import (
	"errors"
	"os"
)

// Direct writes are implemented for Linux only; elsewhere temp files are always written
// through the page cache.
func directSupported(*os.File) bool { return false }

func setDirect(*os.File, bool) error { return errors.ErrUnsupported }

func isDirectRefusal(error) bool { return false }
