package hashstore

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	yaml "go.yaml.in/yaml/v4"

	"github.com/hashstore-go/hashstore/internal/ident"
	"github.com/hashstore-go/hashstore/internal/layout"
)

// DefaultNamespace is the default metadata format id both reference test suites use.
const DefaultNamespace = "https://ns.dataone.org/service/types/v2.0#SystemMetadata"

// Config holds the persisted properties of a store, as recorded in its hashstore.yaml.
// Two stores are compatible only if all four fields are equal (strings compared exactly).
type Config struct {
	Depth             int       // store_depth: shard directory levels, >= 1
	Width             int       // store_width: characters per shard directory name, >= 1
	Algorithm         Algorithm // store_algorithm: as written, e.g. "SHA-256"
	MetadataNamespace string    // store_metadata_namespace: the default metadata format id
}

// DefaultConfig returns depth 3, width 2, SHA-256 and DefaultNamespace: the properties every
// DataONE deployment uses.
func DefaultConfig() Config {
	return Config{Depth: 3, Width: 2, Algorithm: SHA256, MetadataNamespace: DefaultNamespace}
}

// Bounds of the layout (Config.validate): a shard directory's name, and the characters all
// shard directories of one path take (with their separators).
const (
	maxShardWidth = layout.MaxName - len(layout.DeleteSuffix)
	maxShardChars = 2048
)

// yaml keys, in the order both implementations write them.
const (
	keyDepth     = "store_depth"
	keyWidth     = "store_width"
	keyNamespace = "store_metadata_namespace"
	keyAlgorithm = "store_algorithm"
	keyAlgoList  = "store_default_algo_list"
)

// StoreAlgorithm returns the Algorithm named by c.Algorithm, which must be one of the names a
// store may use (the five defaults for new stores; also MD2, SHA-512/224 and SHA-512/256 for
// stores created by the Java implementation).
func (c Config) StoreAlgorithm() (Algorithm, error) {
	if slices.Contains(openableAlgorithms, c.Algorithm) {
		return c.Algorithm, nil
	}
	return "", fmt.Errorf("%w: store algorithm %q is not one of %v", ErrUnsupportedAlgorithm, c.Algorithm, openableAlgorithms)
}

// validate checks the properties. For a new store the algorithm must be one of the five
// DataONE names exactly (so both reference implementations can open it); an existing store
// may also use the Java-only ones.
func (c Config) validate(creating bool) error {
	if c.Depth < 1 {
		return invalid("%s must be at least 1, got %d", keyDepth, c.Depth)
	}
	if c.Width < 1 {
		return invalid("%s must be at least 1, got %d", keyWidth, c.Width)
	}
	// Every shard directory is a file name, and the shard directories of one path must leave
	// room in PATH_MAX for the store's root, the area, the digest and the deletion suffix. A
	// layout past these bounds could not be created on disk, and computing it could cost all
	// the memory there is.
	if c.Width > maxShardWidth {
		return invalid("%s must be at most %d (a file name), got %d", keyWidth, maxShardWidth, c.Width)
	}
	if c.Depth > maxShardChars/(c.Width+1) {
		return invalid("%s %d with %s %d makes paths longer than %d characters", keyDepth, c.Depth, keyWidth, c.Width, maxShardChars)
	}
	if err := CheckIdentifier(keyNamespace, c.MetadataNamespace); err != nil {
		return err
	}
	if strings.TrimSpace(string(c.Algorithm)) == "" {
		return invalid("%s is empty", keyAlgorithm)
	}
	allowed := openableAlgorithms
	if creating {
		allowed = storeAlgorithms
	}
	if slices.Contains(allowed, c.Algorithm) {
		return nil
	}
	return fmt.Errorf("%w: %s %q: a store uses one of %v", ErrUnsupportedAlgorithm, keyAlgorithm, c.Algorithm, allowed)
}

// compare returns a *ConfigMismatchError for the first key where stored and supplied differ.
func (stored Config) compare(supplied Config) error {
	pairs := []struct{ key, a, b string }{
		{keyDepth, strconv.Itoa(stored.Depth), strconv.Itoa(supplied.Depth)},
		{keyWidth, strconv.Itoa(stored.Width), strconv.Itoa(supplied.Width)},
		{keyAlgorithm, string(stored.Algorithm), string(supplied.Algorithm)},
		{keyNamespace, stored.MetadataNamespace, supplied.MetadataNamespace},
	}
	for _, p := range pairs {
		if p.a != p.b {
			return &ConfigMismatchError{Key: p.key, Stored: p.a, Supplied: p.b}
		}
	}
	return nil
}

// YAML returns hashstore.yaml as the Python implementation writes it (docs/FORMAT.md 2.2):
// the constant comment block, then the body in PyYAML's default style. For the default
// properties the result is byte-identical to the Python 1.1.0 file.
func (c Config) YAML() []byte {
	var b strings.Builder
	b.WriteString(pythonHeader)
	fmt.Fprintf(&b, "%s: %d\n", keyDepth, c.Depth)
	fmt.Fprintf(&b, "%s: %d\n", keyWidth, c.Width)
	fmt.Fprintf(&b, "%s: %s\n", keyNamespace, pyyamlScalar(c.MetadataNamespace))
	fmt.Fprintf(&b, "%s: %s\n", keyAlgorithm, pyyamlScalar(string(c.Algorithm)))
	fmt.Fprintf(&b, "%s:\n", keyAlgoList)
	for _, a := range defaultAlgorithms {
		fmt.Fprintf(&b, "- %s\n", pyyamlScalar(string(a)))
	}
	return []byte(b.String())
}

// ParseConfig reads hashstore.yaml in either the Python or the Java form (comments, plain or
// quoted scalars). Values are taken as the text written, whatever type a YAML 1.2 reader would
// give them: PyYAML writes namespaces such as 1e3 or 0o17 unquoted because YAML 1.1 reads them
// as strings. Depth and width must be decimal integers (quoted or not). A missing or null key,
// or a document that is not a mapping of scalars, is an ErrInvalidArgument naming the key.
// store_default_algo_list is not needed (every store computes the same five defaults) and is
// not read.
func ParseConfig(data []byte) (Config, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return Config{}, invalid("hashstore.yaml is not valid YAML: %v", err)
	}
	if len(doc.Content) == 0 {
		return Config{}, invalid("hashstore.yaml is empty")
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return Config{}, invalid("hashstore.yaml is not a mapping of properties")
	}
	scalars := map[string]*yaml.Node{}
	for i := 0; i+1 < len(root.Content); i += 2 {
		scalars[root.Content[i].Value] = root.Content[i+1]
	}
	text := func(key string) (string, error) {
		n, ok := scalars[key]
		if !ok || n.Tag == "!!null" {
			return "", invalid("hashstore.yaml has no %s", key)
		}
		if n.Kind != yaml.ScalarNode {
			return "", invalid("hashstore.yaml %s is not a single value", key)
		}
		return n.Value, nil
	}
	integer := func(key string) (int, error) {
		v, err := text(key)
		if err != nil {
			return 0, err
		}
		i, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil {
			return 0, invalid("hashstore.yaml %s is not an integer: %q", key, v)
		}
		return i, nil
	}
	var c Config
	var err error
	if c.Depth, err = integer(keyDepth); err != nil {
		return Config{}, err
	}
	if c.Width, err = integer(keyWidth); err != nil {
		return Config{}, err
	}
	alg, err := text(keyAlgorithm)
	if err != nil {
		return Config{}, err
	}
	c.Algorithm = Algorithm(alg)
	if c.MetadataNamespace, err = text(keyNamespace); err != nil {
		return Config{}, err
	}
	return c, nil
}

// pyyamlScalar renders s as PyYAML's yaml.dump (default options: no unicode, width 80) would in
// a block mapping value: plain when that is unambiguous, else single-quoted, else double-quoted
// with escapes. Namespaces never contain whitespace (validate rejects it), so the line
// folding PyYAML applies at spaces never arises.
func pyyamlScalar(s string) string {
	plain, single := analyzeScalar(s)
	if plain && resolvesToString(s) {
		return s
	}
	if single {
		return "'" + strings.ReplaceAll(s, "'", "''") + "'"
	}
	return doubleQuoted(s)
}

// analyzeScalar reports whether PyYAML would allow s as a plain block scalar and as a
// single-quoted one (the subset of its emitter's analysis that applies to one-line values).
func analyzeScalar(s string) (plain, single bool) {
	if s == "" {
		return false, true
	}
	plain, single = true, true
	if strings.HasPrefix(s, "---") || strings.HasPrefix(s, "...") {
		plain = false
	}
	runes := []rune(s)
	isWS := func(i int) bool {
		if i < 0 || i >= len(runes) {
			return true
		}
		switch runes[i] {
		case ' ', '\t', '\r', '\n', 0x85, 0x2028, 0x2029:
			return true
		}
		return false
	}
	for i, r := range runes {
		if i == 0 {
			if strings.ContainsRune("#,[]{}&*!|>'\"%@`", r) {
				plain = false
			}
			if (r == '?' || r == ':' || r == '-') && isWS(1) {
				plain = false
			}
		} else {
			if r == ':' && isWS(i+1) {
				plain = false
			}
			if r == '#' && isWS(i-1) {
				plain = false
			}
		}
		if r == '\n' {
			// PyYAML folds multi-line scalars; we never write one (namespaces have no
			// whitespace) but if asked, the escaped double-quoted form reads back exactly.
			plain, single = false, false
		}
		if !(r == '\n' || (r >= 0x20 && r <= 0x7E)) {
			// Not printable ASCII: without allow_unicode PyYAML must escape it.
			plain, single = false, false
		}
	}
	if runes[0] == ' ' || runes[len(runes)-1] == ' ' {
		plain = false
	}
	return plain, single
}

// Implicit resolvers of PyYAML (YAML 1.1): a plain scalar matching one of these would be read
// back as a bool, int, float, null, timestamp, merge key or value, not as the string.
var yaml11Implicit = []*regexp.Regexp{
	regexp.MustCompile(`^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$`),
	regexp.MustCompile(`^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$`),
	regexp.MustCompile(`^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$`),
	regexp.MustCompile(`^<<$`),
	regexp.MustCompile(`^(?:~|null|Null|NULL|)$`),
	regexp.MustCompile(`^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]|[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?(?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$`),
	regexp.MustCompile(`^=$`),
}

func resolvesToString(s string) bool {
	for _, re := range yaml11Implicit {
		if re.MatchString(s) {
			return false
		}
	}
	return true
}

// doubleQuoted escapes like PyYAML's write_double_quoted: named escapes where YAML has them,
// otherwise \xXX, \uXXXX or \UXXXXXXXX in upper-case hex.
func doubleQuoted(s string) string {
	named := map[rune]string{0: `\0`, 7: `\a`, 8: `\b`, 9: `\t`, 10: `\n`, 11: `\v`, 12: `\f`, 13: `\r`, 27: `\e`,
		'"': `\"`, '\\': `\\`, 0x85: `\N`, 0xA0: `\_`, 0x2028: `\L`, 0x2029: `\P`}
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		if e, ok := named[r]; ok {
			b.WriteString(e)
			continue
		}
		switch {
		case r >= 0x20 && r <= 0x7E:
			b.WriteRune(r)
		case r <= 0xFF:
			fmt.Fprintf(&b, `\x%02X`, r)
		case r <= 0xFFFF:
			fmt.Fprintf(&b, `\u%04X`, r)
		default:
			fmt.Fprintf(&b, `\U%08X`, r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// CheckIdentifier applies the identifier rule (docs/FORMAT.md 7) to a pid, cid, checksum or
// format id; what names the argument in the error. An identifier is valid UTF-8, not empty,
// holds no NUL and no whitespace anywhere, where whitespace is Python's str.isspace set (Go's
// unicode.IsSpace plus U+001C..U+001F), a superset of Java's rule. The error matches
// ErrInvalidArgument.
func CheckIdentifier(what, id string) error {
	if id == "" {
		return invalid("%s is empty", what)
	}
	if !utf8.ValidString(id) {
		return invalid("%s %q is not valid UTF-8", what, id)
	}
	if strings.IndexByte(id, 0) >= 0 {
		// No command line, file name or C string can carry it: a pid holding NUL could be
		// stored from a manifest but never named again.
		return invalid("%s %q contains NUL", what, id)
	}
	if i := ident.IndexSpace(id); i >= 0 {
		r, _ := utf8.DecodeRuneInString(id[i:])
		return invalid("%s %q contains whitespace (%U)", what, id, r)
	}
	return nil
}
