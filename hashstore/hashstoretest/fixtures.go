package hashstoretest

// Inputs the cases share: the references' hashstore.yaml files and the ids, algorithms and
// format ids the reference suites use.

import (
	"bytes"
	"io/fs"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hashstore-go/hashstore/hashstore"
)

// The hashstore.yaml files, in embedded, exactly as the Java and Python implementations 1.1.0
// write them for the default properties (docs/FORMAT.md 2.2).
const (
	pythonYAMLFixture = "fixtures/hashstore.python-1.1.0.yaml"
	javaYAMLFixture   = "fixtures/hashstore.java-1.1.0.yaml"
	// pythonYAMLSHA256 is the digest docs/FORMAT.md 2.2 gives for the Python file.
	pythonYAMLSHA256 = "932caafd797f60d3bc11bd78181988deac26dc67a349b0c7c94d2cff4a010e42"
)

// replaceOnce returns s with old replaced by new, failing the test unless old occurs exactly
// once (so a fixture edit cannot silently do nothing).
func replaceOnce(t *testing.T, s []byte, old, new string) []byte {
	t.Helper()
	require.Equal(t, 1, bytes.Count(s, []byte(old)), "fixture must contain %q once", old)
	return bytes.Replace(s, []byte(old), []byte(new), 1)
}

// yamlWithout returns the Python fixture without the line of key (and, for the list, its items).
func yamlWithout(t *testing.T, key string) []byte {
	t.Helper()
	var out []string
	found := false
	lines := strings.SplitAfter(string(mustRead(pythonYAMLFixture)), "\n")
	for i := 0; i < len(lines); i++ {
		if strings.HasPrefix(lines[i], key+":") {
			found = true
			for i+1 < len(lines) && strings.HasPrefix(lines[i+1], "- ") {
				i++
			}
			continue
		}
		out = append(out, lines[i])
	}
	require.True(t, found, "fixture has no %s", key)
	return []byte(strings.Join(out, ""))
}

// yamlLine returns the line of text that starts with key and a colon, or "".
func yamlLine(text []byte, key string) string {
	for l := range strings.SplitSeq(string(text), "\n") {
		if strings.HasPrefix(l, key+":") {
			return l
		}
	}
	return ""
}

// storeDirsAll are the eight directories every store has (docs/FORMAT.md 2.4).
var storeDirsAll = []string{"objects", "objects/tmp", "metadata", "metadata/tmp", "refs", "refs/tmp", "refs/pids", "refs/cids"}

// policyFileModes and policyDirModes are the permission policies of the references: Python's
// 0664 files / 0755 directories and Java's 0640 / 0750. A store picks one (docs/FORMAT.md 4.5).
var (
	policyFileModes = []fs.FileMode{0o664, 0o640}
	policyDirModes  = []fs.FileMode{0o755, 0o750}
)

// invalidIDs are ids every call rejects with ErrInvalidArgument: empty, whitespace only, and
// containing whitespace anywhere (both references; Go's zero value "" stands in for Java's
// null).
var invalidIDs = []string{"", " ", "   ", "\t", "\n", "dou.test.1\n", "hello \n", "a b", "pid\t"}

// pythonWhitespace is every code point for which Python's str.isspace() is true (Python 3.11).
var pythonWhitespace = []rune{
	0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x1C, 0x1D, 0x1E, 0x1F, 0x20, 0x85, 0xA0, 0x1680,
	0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200A,
	0x2028, 0x2029, 0x202F, 0x205F, 0x3000,
}

// javaCID is a cid with no object that the reference suites tag (abcdef123456789).
const javaCID = "abcdef123456789"

// dupPID is the second pid of jtao.1700.1 in the golden stores (testdata/golden).
const dupPID = "jtao.1700.1.dup"

// Format ids used by the metadata cases besides the default namespace.
const (
	fmtEML  = "eml://ecoinformatics.org/eml-2.1.1"
	fmtTest = "ns:type:v1"
)

// defaultDigestKeys are the digest-map keys every StoreObject returns.
var defaultDigestKeys = hashstore.DefaultAlgorithms()

// unknownAlgorithms are algorithm names no implementation here supports.
var unknownAlgorithms = []hashstore.Algorithm{"SM3", "sm3", "abc", "SHA-DOU", "md10"}
