package pgtest

import (
	"os"
	"path/filepath"
	"sync"
)

// SchemaPath is the absolute path of testdata/metacat/db/schema.sql: the Metacat-shaped
// tables of a 3.1+ database, empty.
func SchemaPath() string { return filepath.Join(dbDir(), "schema.sql") }

// SamplePath is the absolute path of testdata/metacat/db/sample.sql: the rows of the sample
// repository, to apply after SchemaPath.
func SamplePath() string { return filepath.Join(dbDir(), "sample.sql") }

// Pre31Path is the absolute path of testdata/metacat/db/pre-3.1.sql, which turns a database
// made from SchemaPath (and SamplePath) into one not yet upgraded to Metacat 3.1: no checksums
// table, version table still named db_version. Apply it last.
func Pre31Path() string { return filepath.Join(dbDir(), "pre-3.1.sql") }

// SampleDir is the absolute path of testdata/metacat, the sample repository whose documents/
// and data/ hold the files the sample rows point at.
func SampleDir() string { return filepath.Join(repoRoot(), "testdata", "metacat") }

func dbDir() string { return filepath.Join(SampleDir(), "db") }

// repoRoot is the nearest directory at or above the working directory that holds go.mod: the
// module root when a test runs in any package directory. It panics outside the module, since
// the paths above then name nothing.
var repoRoot = sync.OnceValue(func() string {
	dir, err := os.Getwd()
	if err != nil {
		panic("pgtest: " + err.Error())
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			panic("pgtest: no go.mod at or above the working directory")
		}
		dir = parent
	}
})
