package hashstore

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha3"
	"crypto/sha512"
	"fmt"
	"hash"
	"strings"

	"github.com/zeebo/blake3"
	"golang.org/x/crypto/blake2b"
	"golang.org/x/crypto/blake2s"

	"github.com/hashstore-go/hashstore/internal/md2"
)

// Algorithm is a digest algorithm, named by its DataONE spelling ("SHA-256"). Digest maps and
// errors use these names. ParseAlgorithm accepts other spellings; the constants below are the
// complete supported set.
type Algorithm string

// The supported algorithms. The first five are the defaults computed on every store.
const (
	MD5         Algorithm = "MD5"
	SHA1        Algorithm = "SHA-1"
	SHA256      Algorithm = "SHA-256"
	SHA384      Algorithm = "SHA-384"
	SHA512      Algorithm = "SHA-512"
	SHA224      Algorithm = "SHA-224"
	SHA512_224  Algorithm = "SHA-512/224"
	SHA512_256  Algorithm = "SHA-512/256"
	SHA3_224    Algorithm = "SHA3-224"
	SHA3_256    Algorithm = "SHA3-256"
	SHA3_384    Algorithm = "SHA3-384"
	SHA3_512    Algorithm = "SHA3-512"
	BLAKE2b_512 Algorithm = "BLAKE2b-512"
	BLAKE2s_256 Algorithm = "BLAKE2s-256"
	// MD2 is supported so that stores created by the Java implementation with it can be opened.
	MD2        Algorithm = "MD2"
	BLAKE3_256 Algorithm = "BLAKE3-256"
)

// defaultAlgorithms are computed on every store, in this order (docs/FORMAT.md 5).
var defaultAlgorithms = [...]Algorithm{MD5, SHA1, SHA256, SHA384, SHA512}

// DefaultAlgorithms returns the algorithms computed on every StoreObject, in the order the
// references list them (docs/FORMAT.md 5). The slice is the caller's.
func DefaultAlgorithms() []Algorithm { return append([]Algorithm(nil), defaultAlgorithms[:]...) }

// storeAlgorithms may be chosen for a new store (the Python implementation's rule, so that
// both references can open it).
var storeAlgorithms = defaultAlgorithms[:]

// openableAlgorithms may appear in the hashstore.yaml of a store we open: the Java
// implementation can also create MD2, SHA-512/224 and SHA-512/256 stores.
var openableAlgorithms = append(DefaultAlgorithms(), MD2, SHA512_224, SHA512_256)

var constructors = map[Algorithm]func() hash.Hash{
	MD5:         md5.New,
	SHA1:        sha1.New,
	SHA256:      sha256.New,
	SHA384:      sha512.New384,
	SHA512:      sha512.New,
	SHA224:      sha256.New224,
	SHA512_224:  sha512.New512_224,
	SHA512_256:  sha512.New512_256,
	SHA3_224:    func() hash.Hash { return sha3.New224() },
	SHA3_256:    func() hash.Hash { return sha3.New256() },
	SHA3_384:    func() hash.Hash { return sha3.New384() },
	SHA3_512:    func() hash.Hash { return sha3.New512() },
	BLAKE2b_512: func() hash.Hash { h, _ := blake2b.New512(nil); return h },
	BLAKE2s_256: func() hash.Hash { h, _ := blake2s.New256(nil); return h },
	MD2:         md2.New,
	BLAKE3_256:  func() hash.Hash { return blake3.New() },
}

// aliases maps a squeezed spelling (lower case, without '-', '_', '/' and spaces) to the
// algorithm. It covers the DataONE names, the Python hashlib names (sha3_256, blake2b) and the
// Java test harness keys (sha512-224).
var aliases = func() map[string]Algorithm {
	m := make(map[string]Algorithm)
	for a := range constructors {
		m[squeeze(string(a))] = a
	}
	m["blake2b"] = BLAKE2b_512
	m["blake2s"] = BLAKE2s_256
	m["blake3"] = BLAKE3_256
	return m
}()

func squeeze(name string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case '-', '_', '/', ' ':
			return -1
		}
		if r >= 'A' && r <= 'Z' {
			return r + ('a' - 'A')
		}
		return r
	}, name)
}

// ParseAlgorithm returns the algorithm a name denotes. It accepts the DataONE names
// ("SHA-256", "SHA-512/224"), the Python spellings ("sha256", "sha3_256", "blake2b") and any
// case or punctuation variant of them ("SHA256", "sha-256"). An empty, blank or unknown name is
// an error matching ErrUnsupportedAlgorithm (ErrInvalidArgument for empty or blank).
func ParseAlgorithm(name string) (Algorithm, error) {
	if strings.TrimSpace(name) == "" {
		return "", invalid("empty algorithm name")
	}
	if a, ok := aliases[squeeze(name)]; ok {
		return a, nil
	}
	return "", fmt.Errorf("%w: %q", ErrUnsupportedAlgorithm, name)
}

// New returns a fresh hash for the algorithm. It panics for a value not among the constants;
// values from ParseAlgorithm are always valid.
func (a Algorithm) New() hash.Hash {
	c, ok := constructors[a]
	if !ok {
		panic("hashstore: unknown algorithm " + string(a))
	}
	return c()
}

// String returns the DataONE name.
func (a Algorithm) String() string { return string(a) }

// SupportedAlgorithms lists every algorithm ParseAlgorithm can return, defaults first.
func SupportedAlgorithms() []Algorithm {
	return append(DefaultAlgorithms(), SHA224, SHA512_224, SHA512_256, SHA3_224, SHA3_256, SHA3_384, SHA3_512,
		BLAKE2b_512, BLAKE2s_256, MD2, BLAKE3_256)
}

// canonical returns the constant a names, whatever its spelling (ParseAlgorithm's rules), so
// that a caller's Algorithm("sha256") works as SHA256 does.
func (a Algorithm) canonical() (Algorithm, error) {
	if _, ok := constructors[a]; ok {
		return a, nil
	}
	return ParseAlgorithm(string(a))
}
