// Package servertest makes inputs for tests and benchmarks of a server: reproducible data and
// valid system metadata documents for it.
package servertest

import (
	"crypto/sha256"
	"encoding/hex"
	"time"

	"github.com/hashstore-go/hashstore/sysmeta"
)

// Sysmeta returns a valid v2 system metadata document for data under pid: text/csv, the
// SHA-256 checksum, a fixed modification date (2024-05-06T07:08:09Z), serial version 7, file
// name data.csv, and an access policy that grants read to "public" when public is true.
func Sysmeta(pid string, data []byte, public bool) []byte {
	serial := uint64(7)
	mod := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	name := "data.csv"
	sum := sha256.Sum256(data)
	doc := &sysmeta.Document{
		SerialVersion: &serial, Identifier: pid, FormatID: "text/csv", Size: uint64(len(data)),
		Checksum:     sysmeta.Checksum{Algorithm: "SHA-256", Value: hex.EncodeToString(sum[:])},
		RightsHolder: "http://orcid.org/0000-0000-0000-0001",
		AccessPolicy: []sysmeta.AccessRule{{Subjects: []string{"http://orcid.org/0000-0000-0000-0001"},
			Permissions: []sysmeta.Permission{sysmeta.PermissionChangePermission}}},
		DateSysMetadataModified: &mod, DateUploaded: &mod, FileName: &name,
		MediaType: &sysmeta.MediaType{Name: "text/csv"},
	}
	if public {
		doc.AccessPolicy = append(doc.AccessPolicy, sysmeta.AccessRule{Subjects: []string{"public"},
			Permissions: []sysmeta.Permission{sysmeta.PermissionRead}})
	}
	out, err := doc.Encode()
	if err != nil {
		panic("servertest: " + err.Error())
	}
	return out
}

// PseudoRandom returns n bytes that depend only on seed (xorshift), so that tests can make
// large objects without storing them.
func PseudoRandom(seed byte, n int) []byte {
	b := make([]byte, n)
	x := uint32(seed)*2654435761 + 1
	for i := range b {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b[i] = byte(x)
	}
	return b
}
