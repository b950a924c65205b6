package hashstoretest

import (
	"embed"
	"testing"

	"github.com/hashstore-go/hashstore/hashstore"
)

// embedded holds the reference vectors (vectors/, copied from testdata/vectors at the module
// root) and the hashstore.yaml files of the references (fixtures/).
//
//go:embed vectors fixtures
var embedded embed.FS

// mustRead returns an embedded file's bytes; the files are part of the package, so a missing
// one is a build mistake, not a test failure.
func mustRead(name string) []byte {
	b, err := embedded.ReadFile(name)
	if err != nil {
		panic(err)
	}
	return b
}

// Vector is one reference test object (testdata/vectors/VECTORS.md at the module root): its pid,
// data, system metadata, every digest and every path relative to a depth-3, width-2, SHA-256
// store.
type Vector struct {
	PID           string
	File          string // data file name in vectors/ (the pid made colon-free)
	Size          int64  // data size in bytes
	Digests       map[hashstore.Algorithm]string
	CID           string
	ObjectPath    string
	CIDRefsPath   string
	PIDHash       string
	PIDRefsPath   string
	SysmetaName   string // H(pid + default namespace)
	SysmetaPath   string
	SysmetaSHA256 string
}

// Data returns the vector's data bytes.
func (v Vector) Data() []byte { return mustRead("vectors/" + v.File) }

// Sysmeta returns the vector's system metadata document.
func (v Vector) Sysmeta() []byte { return mustRead("vectors/" + v.File + ".xml") }

// Vectors returns the three reference test objects in the order of their table: the doi, the
// jtao and the urn vector.
func Vectors() []Vector { return append([]Vector{}, vectorTable...) }

// vectorByPID returns the reference vector with that pid.
func vectorByPID(t *testing.T, pid string) Vector {
	t.Helper()
	for _, v := range Vectors() {
		if v.PID == pid {
			return v
		}
	}
	t.Fatalf("no vector %q", pid)
	return Vector{}
}
