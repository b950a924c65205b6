package hashstore_test

import (
	"testing"

	"github.com/hashstore-go/hashstore/hashstore/hashstoretest"
)

// TestConformanceOS runs the conformance suite on the OS filesystem.
func TestConformanceOS(t *testing.T) {
	hashstoretest.Run(t, hashstoretest.FileHashStore(hashstoretest.OSRoot))
}

// TestConformanceMem runs the conformance suite on afero's memory filesystem.
func TestConformanceMem(t *testing.T) {
	hashstoretest.Run(t, hashstoretest.FileHashStore(hashstoretest.MemRoot))
}
