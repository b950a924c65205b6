package hashstoretest

// Paths of the layout of docs/FORMAT.md section 3 for a depth-3, width-2, SHA-256 store,
// computed here, independently of the implementation under test.

import (
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"strings"
)

// PIDRefsPath is refs/pids/shard(sha256(pid)) for a depth-3, width-2, SHA-256 store,
// computed here, independently of the implementation.
func PIDRefsPath(pid string) string { return "refs/pids/" + shard(SHA256Hex([]byte(pid))) }

// CIDRefsPath is refs/cids/shard(cid) for a depth-3, width-2 store.
func CIDRefsPath(cid string) string { return "refs/cids/" + shard(cid) }

// ObjectPath is objects/shard(cid) for a depth-3, width-2 store.
func ObjectPath(cid string) string { return "objects/" + shard(cid) }

// MetadataPath is metadata/shard(sha256(pid))/sha256(pid+formatID) for a SHA-256 store.
func MetadataPath(pid, formatID string) string {
	return metadataDir(pid) + "/" + SHA256Hex([]byte(pid+formatID))
}

// metadataDir is metadata/shard(sha256(pid)), the directory of pid's metadata documents.
func metadataDir(pid string) string { return "metadata/" + shard(SHA256Hex([]byte(pid))) }

// shard cuts id into three 2-character directories and the rest (docs/FORMAT.md 3).
func shard(id string) string {
	var parts []string
	for i := 0; i < 3 && len(id) > 0; i++ {
		n := min(2, len(id))
		parts, id = append(parts, id[:n]), id[n:]
	}
	if id != "" {
		parts = append(parts, id)
	}
	return strings.Join(parts, "/")
}

// SHA256Hex returns the lowercase hex SHA-256 of b.
func SHA256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// sha512_224Hex is the SHA-512/224 hex digest of s's UTF-8 bytes, for stores created by the
// Java implementation with that algorithm.
func sha512_224Hex(s string) string {
	sum := sha512.Sum512_224([]byte(s))
	return hex.EncodeToString(sum[:])
}
