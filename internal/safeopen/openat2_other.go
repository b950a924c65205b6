//go:build unix && !linux

package safeopen

import "errors"

// errNoOpenat2: openat2 is Linux's; other systems always walk the path.
var errNoOpenat2 = errors.New("openat2 unavailable")

func openat2Usable() bool { return false }

func openat2Beneath(int, string) (int, error) { return -1, errNoOpenat2 }

func openat2NoLinks(string) (int, error) { return -1, errNoOpenat2 }
