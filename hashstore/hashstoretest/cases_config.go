package hashstoretest

// docs/CONFORMANCE.md section 1: creating and opening a store, and its hashstore.yaml
// (docs/FORMAT.md 2).

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hashstore-go/hashstore/hashstore"
)

// withNamespace returns the default config with another metadata namespace.
func withNamespace(ns string) hashstore.Config {
	c := hashstore.DefaultConfig()
	c.MetadataNamespace = ns
	return c
}

// refusedRoot sets up a bare root with setup, then asserts that creating a store there with the
// default properties fails with target and creates nothing (no hashstore.yaml, no directory).
func refusedRoot(t *testing.T, e *Env, target error, setup func(env *Env)) {
	t.Helper()
	env := bareRoot(e)
	setup(env)
	rejectsWith(t, env, target, func() error {
		_, err := openAt(env, hashstore.DefaultConfig())
		return err
	})
	assert.False(t, env.Exists("hashstore.yaml"), "no hashstore.yaml may be written")
}

// changesNothingOpen reopens env's root with cfg and asserts the tree is unchanged.
func changesNothingOpen(t *testing.T, env *Env, cfg hashstore.Config) (hashstore.Store, error) {
	t.Helper()
	var s hashstore.Store
	err := changesNothing(t, env, func() error {
		var err error
		s, err = env.Reopen(cfg)
		return err
	})
	return s, err
}

// badYAMLOpens asserts that ParseConfig rejects text with target and that a store whose
// hashstore.yaml holds text cannot be opened (and is left as it was).
func badYAMLOpens(t *testing.T, e *Env, text []byte, target error, what string) {
	t.Helper()
	_, err := hashstore.ParseConfig(text)
	assert.ErrorIs(t, err, target, "ParseConfig: %s", what)
	env := bareRoot(e)
	env.WriteFile("hashstore.yaml", text)
	rejectsWith(t, env, target, func() error {
		_, err := openAt(env, hashstore.DefaultConfig())
		return err
	}, "open: %s", what)
}

func createsDirectories(t *testing.T, e *Env) {
	assertDirs(t, e, storeDirsAll...)
}

func writesConfigFile(t *testing.T, e *Env) {
	fi, err := e.Fs.Stat(e.Path("hashstore.yaml"))
	require.NoError(t, err)
	assert.True(t, fi.Mode().IsRegular())
	// Both references leave hashstore.yaml 0644 (docs/FORMAT.md 4.5).
	assert.Equal(t, "-rw-r--r--", fi.Mode().String())
}

func configReadsBack(t *testing.T, e *Env) {
	text := e.ReadFile("hashstore.yaml")
	// Integers unquoted (YAML ints, not strings), strings as supplied.
	assert.Contains(t, string(text), "\nstore_depth: 3\n")
	assert.Contains(t, string(text), "\nstore_width: 2\n")
	assert.Contains(t, string(text), "\nstore_algorithm: SHA-256\n")
	cfg, err := hashstore.ParseConfig(text)
	require.NoError(t, err)
	assert.Equal(t, hashstore.DefaultConfig(), cfg)

	// A namespace other than the default is recorded exactly as supplied.
	env := bareRoot(e)
	want := withNamespace("http://www.ns.test/v1")
	want.Algorithm = "SHA-512"
	_, err = openAt(env, want)
	require.NoError(t, err)
	got, err := hashstore.ParseConfig(env.ReadFile("hashstore.yaml"))
	require.NoError(t, err)
	assert.Equal(t, want, got)
}

func reopenSameProperties(t *testing.T, e *Env) {
	v := Vectors()[0]
	e.PutVector(v)
	s, err := changesNothingOpen(t, e, hashstore.DefaultConfig())
	require.NoError(t, err)
	info, err := s.FindObject(e.Context, v.PID)
	require.NoError(t, err)
	assert.Equal(t, v.CID, info.CID, "the reopened store sees what was stored")
}

func reopenDifferentDepth(t *testing.T, e *Env) {
	c := hashstore.DefaultConfig()
	c.Depth = 4
	_, err := changesNothingOpen(t, e, c)
	assertConfigMismatch(t, err, "store_depth")
}

func reopenDifferentWidth(t *testing.T, e *Env) {
	c := hashstore.DefaultConfig()
	c.Width = 3
	_, err := changesNothingOpen(t, e, c)
	assertConfigMismatch(t, err, "store_width")
}

func reopenDifferentAlgorithm(t *testing.T, e *Env) {
	for _, alg := range []string{"SHA-512", "MD5", "SHA-1", "SHA-384"} {
		c := hashstore.DefaultConfig()
		c.Algorithm = hashstore.Algorithm(alg)
		_, err := changesNothingOpen(t, e, c)
		assertConfigMismatch(t, err, "store_algorithm")
	}
	// Another spelling of the same algorithm is not the same property: the references
	// compare the strings exactly. (Go refuses the spelling itself before comparing.)
	for _, alg := range []string{"sha256", "SHA256"} {
		c := hashstore.DefaultConfig()
		c.Algorithm = hashstore.Algorithm(alg)
		_, err := changesNothingOpen(t, e, c)
		assert.True(t, errors.Is(err, hashstore.ErrConfigMismatch) || errors.Is(err, hashstore.ErrUnsupportedAlgorithm), "%s: %v", alg, err)
	}
}

func reopenDifferentNamespace(t *testing.T, e *Env) {
	for _, ns := range []string{"http://ns.dataone.org/service/types/v2.0", hashstore.DefaultNamespace + "x"} {
		_, err := changesNothingOpen(t, e, withNamespace(ns))
		assertConfigMismatch(t, err, "store_metadata_namespace")
	}
}

func configDeletedFromUsedStore(t *testing.T, e *Env) {
	for _, v := range Vectors() {
		e.PutVector(v)
	}
	e.Remove("hashstore.yaml")
	_, err := changesNothingOpen(t, e, hashstore.DefaultConfig())
	assert.ErrorIs(t, err, hashstore.ErrConfigMismatch)
	assert.False(t, e.Exists("hashstore.yaml"), "the lost hashstore.yaml must not be recreated")
}

// dirWithoutConfig is the case of a root holding dir but no hashstore.yaml (C010-C012): the
// store is refused and nothing is written.
func dirWithoutConfig(dir string) func(t *testing.T, e *Env) {
	return func(t *testing.T, e *Env) {
		refusedRoot(t, e, hashstore.ErrConfigMismatch, func(env *Env) { mkdirs(t, env, dir) })
	}
}

func preReleaseRefsLayoutRefused(t *testing.T, e *Env) {
	// Java development builds before 2024-06 used refs/pid and refs/cid: refuse, don't guess.
	for _, old := range []string{"refs/pid", "refs/cid"} {
		env := NewEnv(t, e.H, hashstore.DefaultConfig())
		mkdirs(t, env, old)
		_, err := changesNothingOpen(t, env, hashstore.DefaultConfig())
		assert.ErrorIs(t, err, hashstore.ErrConfigMismatch, old)
	}
}

func unrelatedDirWithoutConfig(t *testing.T, e *Env) {
	env := bareRoot(e)
	mkdirs(t, env, "other", "inttest")
	env.WriteFile("README", []byte("not a store file\n"))
	_, err := openAt(env, hashstore.DefaultConfig())
	require.NoError(t, err)
	assert.Equal(t, mustRead(pythonYAMLFixture), env.ReadFile("hashstore.yaml"))
	assertDirs(t, env, append([]string{"other", "inttest"}, storeDirsAll...)...)
	assert.Equal(t, "not a store file\n", string(env.ReadFile("README")))
}

func numericStringDepthWidth(t *testing.T, e *Env) {
	py := mustRead(pythonYAMLFixture)
	py = replaceOnce(t, py, "store_depth: 3\n", "store_depth: '3'\n")
	py = replaceOnce(t, py, "store_width: 2\n", "store_width: '2'\n")
	java := mustRead(javaYAMLFixture)
	java = replaceOnce(t, java, "store_depth: 3 ", `store_depth: "3" `)
	java = replaceOnce(t, java, "store_width: 2 ", `store_width: "2" `)
	for _, text := range [][]byte{py, java} {
		cfg, err := hashstore.ParseConfig(text)
		require.NoError(t, err)
		assert.Equal(t, hashstore.DefaultConfig(), cfg, "numeric strings read as integers")

		env := bareRoot(e)
		env.WriteFile("hashstore.yaml", text)
		_, err = openAt(env, hashstore.DefaultConfig())
		require.NoError(t, err, "reopening with integers matches")
		assert.Equal(t, text, env.ReadFile("hashstore.yaml"), "hashstore.yaml is never rewritten")

		// Compared as integers: "3" differs from 4.
		c := hashstore.DefaultConfig()
		c.Depth = 4
		_, err = changesNothingOpen(t, env, c)
		assertConfigMismatch(t, err, "store_depth")
	}
}

func depthZero(t *testing.T, e *Env) {
	for _, d := range []int{0, -1} {
		c := hashstore.DefaultConfig()
		c.Depth = d
		env := bareRoot(e)
		rejectsWith(t, env, hashstore.ErrInvalidArgument, func() error { _, err := openAt(env, c); return err }, "depth %d", d)
	}
	// A store written by Python with depth 0 (which Python allows) is refused too, when its
	// properties are loaded from its hashstore.yaml.
	env := bareRoot(e)
	env.WriteFile("hashstore.yaml", replaceOnce(t, mustRead(pythonYAMLFixture), "store_depth: 3\n", "store_depth: 0\n"))
	err := changesNothing(t, env, func() error {
		_, _, err := loadAt(t, env)
		return err
	})
	assert.ErrorIs(t, err, hashstore.ErrInvalidArgument)
}

func widthZero(t *testing.T, e *Env) {
	for _, w := range []int{0, -1} {
		c := hashstore.DefaultConfig()
		c.Width = w
		env := bareRoot(e)
		rejectsWith(t, env, hashstore.ErrInvalidArgument, func() error { _, err := openAt(env, c); return err }, "width %d", w)
	}
}

func newStoreNonDataONEAlgorithm(t *testing.T, e *Env) {
	// Only the five DataONE names may create a store (Python's rule), so that both references
	// can open it; MD2 and SHA-512/224 are Java-only and may only be opened (see C035).
	for _, alg := range []string{"sha256", "MD2", "dou_algo", "SHA-512/224", "SHA-512/256", "sha-256", "SHA3-256", "md5"} {
		c := hashstore.DefaultConfig()
		c.Algorithm = hashstore.Algorithm(alg)
		env := bareRoot(e)
		rejectsWith(t, env, hashstore.ErrUnsupportedAlgorithm, func() error { _, err := openAt(env, c); return err }, alg)
	}
}

func algorithmEmpty(t *testing.T, e *Env) {
	c := hashstore.DefaultConfig()
	c.Algorithm = ""
	env := bareRoot(e)
	rejectsWith(t, env, hashstore.ErrInvalidArgument, func() error { _, err := openAt(env, c); return err })
}

func algorithmBlank(t *testing.T, e *Env) {
	for _, alg := range []string{" ", "     ", "\t\n"} {
		c := hashstore.DefaultConfig()
		c.Algorithm = hashstore.Algorithm(alg)
		env := bareRoot(e)
		rejectsWith(t, env, hashstore.ErrInvalidArgument, func() error { _, err := openAt(env, c); return err }, "%q", alg)
	}
}

func namespaceEmpty(t *testing.T, e *Env) {
	env := bareRoot(e)
	rejectsWith(t, env, hashstore.ErrInvalidArgument, func() error { _, err := openAt(env, withNamespace("")); return err })
}

func namespaceBlank(t *testing.T, e *Env) {
	// Java's rule: blank or containing whitespace anywhere.
	for _, ns := range []string{" ", "   ", "\n", "a b", "ns\t"} {
		env := bareRoot(e)
		rejectsWith(t, env, hashstore.ErrInvalidArgument, func() error { _, err := openAt(env, withNamespace(ns)); return err }, "%q", ns)
	}
}

func propertiesNull(t *testing.T, e *Env) {
	// Go has no null Config; its zero value (no property set) stands in for it, and an empty
	// or null YAML document for a missing properties file body.
	env := bareRoot(e)
	rejectsWith(t, env, hashstore.ErrInvalidArgument, func() error { _, err := openAt(env, hashstore.Config{}); return err })
	for _, text := range []string{"", "\n", "null\n", "~\n", "# only a comment\n"} {
		badYAMLOpens(t, e, []byte(text), hashstore.ErrInvalidArgument, text)
	}
}

func storePathEmpty(t *testing.T, e *Env) {
	// Go's "" stands in for Java's null store path.
	_, err := e.H.Open(t, e.Fs, "", hashstore.DefaultConfig())
	assert.ErrorIs(t, err, hashstore.ErrInvalidArgument)
}

func propertyMissing(t *testing.T, e *Env) {
	for _, key := range []string{"store_depth", "store_width", "store_algorithm", "store_metadata_namespace"} {
		text := yamlWithout(t, key)
		_, err := hashstore.ParseConfig(text)
		if assert.ErrorIs(t, err, hashstore.ErrInvalidArgument, key) {
			assert.Contains(t, err.Error(), key, "the message names the missing key")
		}
		badYAMLOpens(t, e, text, hashstore.ErrInvalidArgument, "without "+key)
	}
	// A Config with a property left out (its zero value) is refused as well.
	for _, c := range []hashstore.Config{
		{Width: 2, Algorithm: "SHA-256", MetadataNamespace: hashstore.DefaultNamespace},
		{Depth: 3, Algorithm: "SHA-256", MetadataNamespace: hashstore.DefaultNamespace},
		{Depth: 3, Width: 2, MetadataNamespace: hashstore.DefaultNamespace},
		{Depth: 3, Width: 2, Algorithm: "SHA-256"},
	} {
		env := bareRoot(e)
		rejectsWith(t, env, hashstore.ErrInvalidArgument, func() error { _, err := openAt(env, c); return err }, "%+v", c)
	}
}

func propertyNull(t *testing.T, e *Env) {
	py := mustRead(pythonYAMLFixture)
	for _, r := range []struct{ old, new string }{
		{"store_depth: 3\n", "store_depth: null\n"},
		{"store_width: 2\n", "store_width: ~\n"},
		{"store_algorithm: SHA-256\n", "store_algorithm: null\n"},
		{"store_metadata_namespace: " + hashstore.DefaultNamespace + "\n", "store_metadata_namespace:\n"},
	} {
		badYAMLOpens(t, e, replaceOnce(t, py, r.old, r.new), hashstore.ErrInvalidArgument, r.new)
	}
}

func propertiesNotAMapping(t *testing.T, e *Env) {
	for _, text := range []string{
		"just a string\n",
		"- store_depth\n- store_width\n",
		"42\n",
		// What Java writes for a namespace holding a double quote: broken YAML.
		strings.Replace(string(mustRead(javaYAMLFixture)), `"https://ns.dataone.org/service/types/v2.0#SystemMetadata"`, `"a"b"`, 1),
		// Values of the wrong type.
		strings.Replace(string(mustRead(pythonYAMLFixture)), "store_depth: 3\n", "store_depth: three\n", 1),
		strings.Replace(string(mustRead(pythonYAMLFixture)), "store_algorithm: SHA-256\n", "store_algorithm: [SHA-256]\n", 1),
	} {
		badYAMLOpens(t, e, []byte(text), hashstore.ErrInvalidArgument, text)
	}
}

func configFileMissing(t *testing.T, e *Env) {
	// The default algorithm list is not configuration for Go (every store computes the same
	// five), so a hashstore.yaml without store_default_algo_list opens and stores as usual.
	env := bareRoot(e)
	env.WriteFile("hashstore.yaml", yamlWithout(t, "store_default_algo_list"))
	_, err := openAt(env, hashstore.DefaultConfig())
	require.NoError(t, err)
	v := Vectors()[1]
	meta := env.PutVector(v)
	assertDigestSet(t, v, meta.HexDigests, defaultDigestKeys...)

	// Loading the properties of a store from its hashstore.yaml (Harness.Load, hashstore.Open)
	// where there is none: ErrNotFound, and nothing is created.
	env = bareRoot(e)
	mkdirs(t, env, ".")
	err = changesNothing(t, env, func() error {
		_, _, err := loadAt(t, env)
		return err
	})
	assert.ErrorIs(t, err, hashstore.ErrNotFound)
	assert.False(t, env.Exists("hashstore.yaml"))

	// Positive control: an existing store's properties load from its hashstore.yaml.
	s, cfg, err := loadAt(t, e)
	require.NoError(t, err)
	require.NotNil(t, s)
	assert.Equal(t, hashstore.DefaultConfig(), cfg)
}

func newReturnsUsableStore(t *testing.T, e *Env) {
	// The factories of the references have no Go counterpart beyond New/Open: New returns a
	// working store.
	env := bareRoot(e)
	s, err := openAt(env, hashstore.DefaultConfig())
	require.NoError(t, err)
	require.NotNil(t, s)
	v := Vectors()[0]
	meta := env.PutVector(v)
	assert.Equal(t, v.CID, meta.CID)
	assert.True(t, env.Exists(v.ObjectPath))
}

func newStoreStoresVectors(t *testing.T, e *Env) {
	env := bareRoot(e)
	_, err := openAt(env, hashstore.DefaultConfig())
	require.NoError(t, err)
	for _, v := range Vectors() {
		meta := env.PutVector(v)
		assert.Equal(t, v.CID, meta.CID, v.PID)
		assert.Equal(t, v.Digests["SHA-256"], meta.CID, v.PID)
	}
}

func opensReferenceStores(t *testing.T, e *Env) {
	// A store as each reference leaves it (its own hashstore.yaml text, its cid refs newline
	// style): Go opens it with the same properties, never rewrites its yaml, and reads the
	// objects and metadata written there.
	for _, ref := range []struct {
		name, yaml string
		cidRefs    func(pid string) string
	}{
		{"java", javaYAMLFixture, func(pid string) string { return pid }},
		{"python", pythonYAMLFixture, func(pid string) string { return pid + "\n" }},
	} {
		t.Run(ref.name, func(t *testing.T) {
			env := bareRoot(e)
			text := mustRead(ref.yaml)
			env.WriteFile("hashstore.yaml", text)
			mkdirs(t, env, storeDirsAll...)
			v := Vectors()[1]
			env.WriteFile(v.ObjectPath, v.Data())
			env.WriteFile(v.PIDRefsPath, []byte(v.CID))
			env.WriteFile(v.CIDRefsPath, []byte(ref.cidRefs(v.PID)))
			env.WriteFile(v.SysmetaPath, v.Sysmeta())

			s, err := openAt(env, hashstore.DefaultConfig())
			require.NoError(t, err)
			assert.Equal(t, text, env.ReadFile("hashstore.yaml"), "hashstore.yaml is never rewritten")

			got, err := readOpened(s.RetrieveObject(env.Context, v.PID))
			require.NoError(t, err)
			assert.True(t, bytes.Equal(v.Data(), got), "object bytes")
			got, err = readOpened(s.RetrieveMetadata(env.Context, v.PID))
			require.NoError(t, err)
			assert.True(t, bytes.Equal(v.Sysmeta(), got), "sysmeta bytes")

			// And what Go adds lands where the reference would put it.
			w := Vectors()[0]
			meta := env.PutVector(w)
			assert.Equal(t, w.CID, meta.CID)
			assert.Equal(t, w.CID, string(env.ReadFile(w.PIDRefsPath)))
			assert.True(t, env.Exists(w.ObjectPath))
		})
	}
}

func opensJavaOnlyAlgorithmStores(t *testing.T, e *Env) {
	// Java can create stores with MD2, SHA-512/224 and SHA-512/256 (Python cannot open them);
	// Go opens them with those properties and names objects with that algorithm.
	v := Vectors()[1]
	for _, alg := range []string{"MD2", "SHA-512/224", "SHA-512/256"} {
		t.Run(strings.ReplaceAll(alg, "/", "_"), func(t *testing.T) {
			env := bareRoot(e)
			text := replaceOnce(t, mustRead(javaYAMLFixture), `store_algorithm: "SHA-256"`, `store_algorithm: "`+alg+`"`)
			env.WriteFile("hashstore.yaml", text)
			c := hashstore.DefaultConfig()
			c.Algorithm = hashstore.Algorithm(alg)
			_, err := openAt(env, c)
			require.NoError(t, err)
			assert.Equal(t, text, env.ReadFile("hashstore.yaml"))
			meta := env.PutVector(v)
			assert.Equal(t, v.Digests[hashstore.Algorithm(alg)], meta.CID, "cid is the %s digest", alg)
			assert.Equal(t, v.Digests[hashstore.Algorithm(alg)], meta.HexDigests[hashstore.Algorithm(alg)])
			assertDigestSet(t, v, meta.HexDigests, append([]hashstore.Algorithm{hashstore.Algorithm(alg)}, defaultDigestKeys...)...)
			assert.Equal(t, v.Data(), env.ReadFile(ObjectPath(meta.CID)))
			if alg == "SHA-512/224" {
				// H(pid) is the store algorithm too.
				assert.Equal(t, meta.CID, string(env.ReadFile("refs/pids/"+shard(sha512_224Hex(v.PID)))))
			}
			// Without the properties matching, the store is refused as usual.
			_, err = changesNothingOpen(t, env, hashstore.DefaultConfig())
			assertConfigMismatch(t, err, "store_algorithm")
		})
	}
}

func pythonYAMLBytes(t *testing.T, e *Env) {
	py := mustRead(pythonYAMLFixture)
	require.Equal(t, pythonYAMLSHA256, SHA256Hex(py), "fixture")
	text := hashstore.DefaultConfig().YAML()
	assert.Equal(t, string(py), string(text), "Config.YAML of DefaultConfig")
	assert.Equal(t, string(py), string(e.ReadFile("hashstore.yaml")), "a new store's hashstore.yaml")

	// Both reference forms parse to the same Config.
	for _, name := range []string{pythonYAMLFixture, javaYAMLFixture} {
		cfg, err := hashstore.ParseConfig(mustRead(name))
		require.NoError(t, err, name)
		assert.Equal(t, hashstore.DefaultConfig(), cfg, name)
	}
}

func pyYAMLNamespaceQuoting(t *testing.T, e *Env) {
	// PyYAML 6.0.3's rendering of store_metadata_namespace (docs/FORMAT.md 2.2), which Config.YAML
	// must reproduce, and every such file must read back to the same namespace.
	for _, c := range []struct {
		ns, yaml  string
		creatable bool // a valid namespace for a new store (no whitespace)
	}{
		{"http://www.ns.test/v1", "http://www.ns.test/v1", true},
		{"eml://ecoinformatics.org/eml-2.1.1", "eml://ecoinformatics.org/eml-2.1.1", true},
		{"ns:type:v1", "ns:type:v1", true},
		{"-x", "-x", true},
		{"x'y", "x'y", true},
		{`a"b`, `a"b`, true},
		{"true", "'true'", true},
		{"null", "'null'", true},
		{"123", "'123'", true},
		{"@x", "'@x'", true},
		{"%x", "'%x'", true},
		{"a: b", "'a: b'", false},
		{"ümlaut", `"\xFCmlaut"`, true},
		// More renderings checked against PyYAML 6.0.3 (yaml.dump, default options) here.
		{"yes", "'yes'", true},
		{"~", "'~'", true},
		{"1.5", "'1.5'", true},
		{"2001-01-01", "'2001-01-01'", true},
		{"0x1F", "'0x1F'", true},
		{".inf", "'.inf'", true},
		{"<<", "'<<'", true},
		{"=", "'='", true},
		{"---x", "'---x'", true},
		{"[x", "'[x'", true},
		{"*x", "'*x'", true},
		{"!x", "'!x'", true},
		{"#x", "'#x'", true},
		{"x:", "'x:'", true},
		{"a,b", "a,b", true},
		{"?x", "?x", true},
		{"x#y", "x#y", true},
		{"€x", `"\u20ACx"`, true},
		{"日本", `"\u65E5\u672C"`, true},
		{"\U0001F600x", `"\U0001F600x"`, true},
		// Not floats, ints or octals for PyYAML's YAML 1.1 resolvers, so written plain; a YAML
		// 1.2 reader would take 1e3 and 0o17 as numbers, so reading them back must not.
		{"._", "._", true},
		{"._1", "._1", true},
		{"1e3", "1e3", true},
		{"0o17", "0o17", true},
		{"-_1", "-_1", true},
	} {
		cfg := withNamespace(c.ns)
		text := cfg.YAML()
		assert.Equal(t, "store_metadata_namespace: "+c.yaml, yamlLine(text, "store_metadata_namespace"), "%q", c.ns)
		back, err := hashstore.ParseConfig(text)
		if assert.NoError(t, err, c.ns) {
			assert.Equal(t, cfg, back, "%q reads back", c.ns)
		}
		if !c.creatable {
			continue
		}
		env := bareRoot(e)
		if _, err = openAt(env, cfg); !assert.NoError(t, err, "%q: creating a store", c.ns) {
			continue
		}
		assert.Equal(t, string(text), string(env.ReadFile("hashstore.yaml")), "the store writes Config.YAML's text")
		_, err = changesNothingOpen(t, env, cfg)
		assert.NoError(t, err, "%q: reopening with the same namespace", c.ns)
	}
}
