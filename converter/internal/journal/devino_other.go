//go:build !unix

package journal

import "io/fs"

// devIno returns zeros where the system does not expose device and inode numbers; the
// fingerprint then rests on size and modification time.
func devIno(fs.FileInfo) (dev, ino uint64) { return 0, 0 }
