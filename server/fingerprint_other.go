//go:build !linux

package server

import "errors"

// fingerprintOfSys is not implemented here: size and modification time alone identify a
// version.
func fingerprintOfSys(any) (fingerprint, bool) { return fingerprint{}, false }

// canHoldFiles: files are checked by path, not held open, where removing an open file may
// fail or leave it behind.
func canHoldFiles(string) bool { return false }

func fileLimit() uint64 { return 0 }

// fstatFingerprint is never called where canHoldFiles is false.
func fstatFingerprint(int) (fingerprint, error) {
	return fingerprint{}, errors.New("fstatFingerprint: not implemented on this system")
}
