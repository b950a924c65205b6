package hashstoretest

// CONFORMANCE.md section 1: store creation and hashstore.yaml.

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hashstore-go/hashstore/hashstore"
)

// storeDirsAll are the eight directories every store has (FORMAT.md 2.4).
var storeDirsAll = []string{"objects", "objects/tmp", "metadata", "metadata/tmp", "refs", "refs/tmp", "refs/pids", "refs/cids"}

// withNamespace returns the default config with another metadata namespace.
func withNamespace(ns string) hashstore.Config {
	c := hashstore.DefaultConfig()
	c.MetadataNamespace = ns
	return c
}

// assertConfigMismatch asserts err is a *ConfigMismatchError naming key.
func assertConfigMismatch(t *testing.T, err error, key string) {
	t.Helper()
	require.ErrorIs(t, err, hashstore.ErrConfigMismatch)
	var ce *hashstore.ConfigMismatchError
	require.True(t, errors.As(err, &ce), "want *ConfigMismatchError, got %T: %v", err, err)
	assert.Equal(t, key, ce.Key)
	assert.Contains(t, err.Error(), key, "the message names the key")
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

// mkdirs creates store-relative directories.
func mkdirs(t *testing.T, env *Env, dirs ...string) {
	t.Helper()
	for _, d := range dirs {
		require.NoError(t, env.Fs.MkdirAll(env.Path(d), 0o755))
	}
}

// yamlWithout returns the Python fixture without the line of key (and, for the list, its items).
func yamlWithout(t *testing.T, key string) []byte {
	t.Helper()
	var out []string
	found := false
	lines := strings.SplitAfter(string(yamlFixture(pythonYAMLFixture)), "\n")
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

func init() {
	register("C002", "WritesConfigFile", func(t *testing.T, e *Env) {
		fi, err := e.Fs.Stat(e.Path("hashstore.yaml"))
		require.NoError(t, err)
		assert.True(t, fi.Mode().IsRegular())
		// Both references leave hashstore.yaml 0644 (FORMAT.md 4.5).
		assert.Equal(t, "-rw-r--r--", fi.Mode().String())
	})

	register("C003", "ConfigReadsBack", func(t *testing.T, e *Env) {
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
	})

	register("C004", "ReopenSameProperties", func(t *testing.T, e *Env) {
		v := Vectors()[0]
		e.PutVector(v)
		s, err := changesNothingOpen(t, e, hashstore.DefaultConfig())
		require.NoError(t, err)
		info, err := s.FindObject(e.Context, v.PID)
		require.NoError(t, err)
		assert.Equal(t, v.CID, info.CID, "the reopened store sees what was stored")
	})

	register("C005", "ReopenDifferentDepth", func(t *testing.T, e *Env) {
		c := hashstore.DefaultConfig()
		c.Depth = 4
		_, err := changesNothingOpen(t, e, c)
		assertConfigMismatch(t, err, "store_depth")
	})

	register("C006", "ReopenDifferentWidth", func(t *testing.T, e *Env) {
		c := hashstore.DefaultConfig()
		c.Width = 3
		_, err := changesNothingOpen(t, e, c)
		assertConfigMismatch(t, err, "store_width")
	})

	register("C007", "ReopenDifferentAlgorithm", func(t *testing.T, e *Env) {
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
	})

	register("C008", "ReopenDifferentNamespace", func(t *testing.T, e *Env) {
		for _, ns := range []string{"http://ns.dataone.org/service/types/v2.0", hashstore.DefaultNamespace + "x"} {
			_, err := changesNothingOpen(t, e, withNamespace(ns))
			assertConfigMismatch(t, err, "store_metadata_namespace")
		}
	})

	register("C009", "ConfigDeletedFromUsedStore", func(t *testing.T, e *Env) {
		for _, v := range Vectors() {
			e.PutVector(v)
		}
		e.Remove("hashstore.yaml")
		_, err := changesNothingOpen(t, e, hashstore.DefaultConfig())
		assert.ErrorIs(t, err, hashstore.ErrConfigMismatch)
		assert.False(t, e.Exists("hashstore.yaml"), "the lost hashstore.yaml must not be recreated")
	})

	for _, c := range []struct{ id, name, dir string }{
		{"C010", "ObjectsDirWithoutConfig", "objects"},
		{"C011", "MetadataDirWithoutConfig", "metadata"},
		{"C012", "RefsDirWithoutConfig", "refs"},
	} {
		register(c.id, c.name, func(t *testing.T, e *Env) {
			refusedRoot(t, e, hashstore.ErrConfigMismatch, func(env *Env) { mkdirs(t, env, c.dir) })
		})
	}

	register("C012", "PreReleaseRefsLayoutRefused", func(t *testing.T, e *Env) {
		// Java development builds before 2024-06 used refs/pid and refs/cid: refuse, don't guess.
		for _, old := range []string{"refs/pid", "refs/cid"} {
			env := NewEnv(t, e.H, hashstore.DefaultConfig())
			mkdirs(t, env, old)
			_, err := changesNothingOpen(t, env, hashstore.DefaultConfig())
			assert.ErrorIs(t, err, hashstore.ErrConfigMismatch, old)
		}
	})

	register("C013", "UnrelatedDirWithoutConfig", func(t *testing.T, e *Env) {
		env := bareRoot(e)
		mkdirs(t, env, "other", "inttest")
		env.WriteFile("README", []byte("not a store file\n"))
		_, err := openAt(env, hashstore.DefaultConfig())
		require.NoError(t, err)
		assert.Equal(t, yamlFixture(pythonYAMLFixture), env.ReadFile("hashstore.yaml"))
		for _, d := range append([]string{"other", "inttest"}, storeDirsAll...) {
			fi, err := env.Fs.Stat(env.Path(d))
			if assert.NoError(t, err, d) {
				assert.True(t, fi.IsDir(), d)
			}
		}
		assert.Equal(t, "not a store file\n", string(env.ReadFile("README")))
	})

	register("C014", "NumericStringDepthWidth", func(t *testing.T, e *Env) {
		py := yamlFixture(pythonYAMLFixture)
		py = replaceOnce(t, py, "store_depth: 3\n", "store_depth: '3'\n")
		py = replaceOnce(t, py, "store_width: 2\n", "store_width: '2'\n")
		java := yamlFixture(javaYAMLFixture)
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
	})

	register("C015", "DepthZero", func(t *testing.T, e *Env) {
		for _, d := range []int{0, -1} {
			c := hashstore.DefaultConfig()
			c.Depth = d
			env := bareRoot(e)
			rejectsWith(t, env, hashstore.ErrInvalidArgument, func() error { _, err := openAt(env, c); return err }, "depth %d", d)
		}
		// A store written by Python with depth 0 (which Python allows) is refused too.
		env := bareRoot(e)
		env.WriteFile("hashstore.yaml", replaceOnce(t, yamlFixture(pythonYAMLFixture), "store_depth: 3\n", "store_depth: 0\n"))
		err := changesNothing(t, env, func() error {
			_, err := hashstore.Open(env.Root, hashstore.WithFs(env.Fs))
			return err
		})
		assert.ErrorIs(t, err, hashstore.ErrInvalidArgument)
	})

	register("C016", "WidthZero", func(t *testing.T, e *Env) {
		for _, w := range []int{0, -1} {
			c := hashstore.DefaultConfig()
			c.Width = w
			env := bareRoot(e)
			rejectsWith(t, env, hashstore.ErrInvalidArgument, func() error { _, err := openAt(env, c); return err }, "width %d", w)
		}
	})

	register("C017", "NewStoreNonDataONEAlgorithm", func(t *testing.T, e *Env) {
		// Only the five DataONE names may create a store (Python's rule), so that both references
		// can open it; MD2 and SHA-512/224 are Java-only and may only be opened (see C035).
		for _, alg := range []string{"sha256", "MD2", "dou_algo", "SHA-512/224", "SHA-512/256", "sha-256", "SHA3-256", "md5"} {
			c := hashstore.DefaultConfig()
			c.Algorithm = hashstore.Algorithm(alg)
			env := bareRoot(e)
			rejectsWith(t, env, hashstore.ErrUnsupportedAlgorithm, func() error { _, err := openAt(env, c); return err }, alg)
		}
	})

	register("C018", "AlgorithmEmpty", func(t *testing.T, e *Env) {
		c := hashstore.DefaultConfig()
		c.Algorithm = ""
		env := bareRoot(e)
		rejectsWith(t, env, hashstore.ErrInvalidArgument, func() error { _, err := openAt(env, c); return err })
	})

	register("C019", "AlgorithmBlank", func(t *testing.T, e *Env) {
		for _, alg := range []string{" ", "     ", "\t\n"} {
			c := hashstore.DefaultConfig()
			c.Algorithm = hashstore.Algorithm(alg)
			env := bareRoot(e)
			rejectsWith(t, env, hashstore.ErrInvalidArgument, func() error { _, err := openAt(env, c); return err }, "%q", alg)
		}
	})

	register("C020", "NamespaceEmpty", func(t *testing.T, e *Env) {
		env := bareRoot(e)
		rejectsWith(t, env, hashstore.ErrInvalidArgument, func() error { _, err := openAt(env, withNamespace("")); return err })
	})

	register("C021", "NamespaceBlank", func(t *testing.T, e *Env) {
		// Java's rule: blank or containing whitespace anywhere.
		for _, ns := range []string{" ", "   ", "\n", "a b", "ns\t"} {
			env := bareRoot(e)
			rejectsWith(t, env, hashstore.ErrInvalidArgument, func() error { _, err := openAt(env, withNamespace(ns)); return err }, "%q", ns)
		}
	})

	register("C022", "PropertiesNull", func(t *testing.T, e *Env) {
		// Go has no null Config; its zero value (no property set) stands in for it, and an empty
		// or null YAML document for a missing properties file body.
		env := bareRoot(e)
		rejectsWith(t, env, hashstore.ErrInvalidArgument, func() error { _, err := openAt(env, hashstore.Config{}); return err })
		for _, text := range []string{"", "\n", "null\n", "~\n", "# only a comment\n"} {
			badYAMLOpens(t, e, []byte(text), hashstore.ErrInvalidArgument, text)
		}
	})

	register("C023", "StorePathEmpty", func(t *testing.T, e *Env) {
		// Go's "" stands in for Java's null store path.
		_, err := e.H.Open(t, e.Fs, "", hashstore.DefaultConfig())
		assert.ErrorIs(t, err, hashstore.ErrInvalidArgument)
	})

	register("C024", "PropertyMissing", func(t *testing.T, e *Env) {
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
	})

	register("C025", "PropertyNull", func(t *testing.T, e *Env) {
		py := yamlFixture(pythonYAMLFixture)
		for _, r := range []struct{ old, new string }{
			{"store_depth: 3\n", "store_depth: null\n"},
			{"store_width: 2\n", "store_width: ~\n"},
			{"store_algorithm: SHA-256\n", "store_algorithm: null\n"},
			{"store_metadata_namespace: " + hashstore.DefaultNamespace + "\n", "store_metadata_namespace:\n"},
		} {
			badYAMLOpens(t, e, replaceOnce(t, py, r.old, r.new), hashstore.ErrInvalidArgument, r.new)
		}
	})

	register("C026", "PropertiesNotAMapping", func(t *testing.T, e *Env) {
		for _, text := range []string{
			"just a string\n",
			"- store_depth\n- store_width\n",
			"42\n",
			// What Java writes for a namespace holding a double quote: broken YAML.
			strings.Replace(string(yamlFixture(javaYAMLFixture)), `"https://ns.dataone.org/service/types/v2.0#SystemMetadata"`, `"a"b"`, 1),
			// Values of the wrong type.
			strings.Replace(string(yamlFixture(pythonYAMLFixture)), "store_depth: 3\n", "store_depth: three\n", 1),
			strings.Replace(string(yamlFixture(pythonYAMLFixture)), "store_algorithm: SHA-256\n", "store_algorithm: [SHA-256]\n", 1),
		} {
			badYAMLOpens(t, e, []byte(text), hashstore.ErrInvalidArgument, text)
		}
	})

	register("C027-C028", "ConfigFileMissing", func(t *testing.T, e *Env) {
		// Loading the configuration of a store (hashstore.Open, which takes the properties from
		// hashstore.yaml) where there is none: ErrNotFound, and nothing is created.
		env := bareRoot(e)
		mkdirs(t, env, ".")
		err := changesNothing(t, env, func() error {
			_, err := hashstore.Open(env.Root, hashstore.WithFs(env.Fs))
			return err
		})
		assert.ErrorIs(t, err, hashstore.ErrNotFound)
		assert.False(t, env.Exists("hashstore.yaml"))

		// Positive control: an existing store's properties load from its hashstore.yaml.
		s, err := hashstore.Open(e.Root, hashstore.WithFs(e.Fs))
		require.NoError(t, err)
		assert.Equal(t, hashstore.DefaultConfig(), s.Config())

		// The default algorithm list is not configuration for Go (every store computes the same
		// five), so a hashstore.yaml without store_default_algo_list opens and stores as usual.
		env = bareRoot(e)
		env.WriteFile("hashstore.yaml", yamlWithout(t, "store_default_algo_list"))
		_, err = openAt(env, hashstore.DefaultConfig())
		require.NoError(t, err)
		v := Vectors()[1]
		meta := env.PutVector(v)
		assertDigestSet(t, v, meta.HexDigests, defaultDigestKeys...)
	})

	register("C029", "NewReturnsUsableStore", func(t *testing.T, e *Env) {
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
	})

	register("C034", "NewStoreStoresVectors", func(t *testing.T, e *Env) {
		env := bareRoot(e)
		_, err := openAt(env, hashstore.DefaultConfig())
		require.NoError(t, err)
		for _, v := range Vectors() {
			meta := env.PutVector(v)
			assert.Equal(t, v.CID, meta.CID, v.PID)
			assert.Equal(t, v.Digests["SHA-256"], meta.CID, v.PID)
		}
	})

	register("C035", "OpensReferenceStores", func(t *testing.T, e *Env) {
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
				text := yamlFixture(ref.yaml)
				env.WriteFile("hashstore.yaml", text)
				for _, d := range storeDirsAll {
					mkdirs(t, env, d)
				}
				v := Vectors()[1]
				env.WriteFile(v.ObjectPath, v.Data())
				env.WriteFile(v.PIDRefsPath, []byte(v.CID))
				env.WriteFile(v.CIDRefsPath, []byte(ref.cidRefs(v.PID)))
				env.WriteFile(v.SysmetaPath, v.Sysmeta())

				s, err := openAt(env, hashstore.DefaultConfig())
				require.NoError(t, err)
				assert.Equal(t, text, env.ReadFile("hashstore.yaml"), "hashstore.yaml is never rewritten")

				r, err := s.RetrieveObject(env.Context, v.PID)
				require.NoError(t, err)
				got, err := readAllClose(r)
				require.NoError(t, err)
				assert.True(t, bytes.Equal(v.Data(), got), "object bytes")
				m, err := s.RetrieveMetadata(env.Context, v.PID)
				require.NoError(t, err)
				got, err = readAllClose(m)
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
	})

	register("C035", "OpensJavaOnlyAlgorithmStores", func(t *testing.T, e *Env) {
		// Java can create stores with MD2, SHA-512/224 and SHA-512/256 (Python cannot open them);
		// Go opens them with those properties and names objects with that algorithm.
		v := Vectors()[1]
		for _, alg := range []string{"MD2", "SHA-512/224", "SHA-512/256"} {
			t.Run(strings.ReplaceAll(alg, "/", "_"), func(t *testing.T) {
				env := bareRoot(e)
				text := replaceOnce(t, yamlFixture(javaYAMLFixture), `store_algorithm: "SHA-256"`, `store_algorithm: "`+alg+`"`)
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
	})

	register("C036", "PythonYAMLBytes", func(t *testing.T, e *Env) {
		py := yamlFixture(pythonYAMLFixture)
		require.Equal(t, pythonYAMLSHA256, SHA256Hex(py), "fixture")
		text, err := hashstore.DefaultConfig().YAML(), error(nil)
		require.NoError(t, err)
		assert.Equal(t, string(py), string(text), "MarshalText of DefaultConfig")
		assert.Equal(t, string(py), string(e.ReadFile("hashstore.yaml")), "a new store's hashstore.yaml")

		// Both reference forms parse to the same Config.
		for _, name := range []string{pythonYAMLFixture, javaYAMLFixture} {
			cfg, err := hashstore.ParseConfig(yamlFixture(name))
			require.NoError(t, err, name)
			assert.Equal(t, hashstore.DefaultConfig(), cfg, name)
		}
	})

	register("C036", "PyYAMLNamespaceQuoting", func(t *testing.T, e *Env) {
		// PyYAML 6.0.3's rendering of store_metadata_namespace (FORMAT.md 2.2), which MarshalText
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
			text, err := cfg.YAML(), error(nil)
			require.NoError(t, err, c.ns)
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
			assert.Equal(t, string(text), string(env.ReadFile("hashstore.yaml")), "the store writes MarshalText's text")
			_, err = changesNothingOpen(t, env, cfg)
			assert.NoError(t, err, "%q: reopening with the same namespace", c.ns)
		}
	})
}

// yamlLine returns the line of text that starts with key and a colon, or "".
func yamlLine(text []byte, key string) string {
	for _, l := range strings.Split(string(text), "\n") {
		if strings.HasPrefix(l, key+":") {
			return l
		}
	}
	return ""
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
