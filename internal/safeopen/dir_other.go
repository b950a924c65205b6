//go:build !linux

package safeopen

import "github.com/spf13/afero"

// openDirNoLinks has no one-call form without openat2: done is false.
func openDirNoLinks(string, string) (afero.File, bool, error) { return nil, false, nil }
