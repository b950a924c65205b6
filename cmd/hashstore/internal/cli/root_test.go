package cli

import (
	"bufio"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/stretchr/testify/require"
)

func TestUsageErrors(t *testing.T) {
	t.Parallel()
	dir := newStore(t)
	for name, args := range map[string][]string{
		"unknown flag":          {"--store", dir, "find", "--pid", "p", "--bogus"},
		"unknown flag mid-line": {"--store", dir, "find", "--bogus", "--pid", "p"},
		"unknown global flag":   {"--frobnicate", "--store", dir, "find", "--pid", "p"},
		"unknown command":       {"--store", dir, "fnid", "--pid", "p"},
		"no command":            {"--store", dir},
		"missing --pid":         {"--store", dir, "find"},
		"missing flag value":    {"--store", dir, "find", "--pid"},
		"bad flag value":        {"--store", dir, "--log-level", "loud", "find", "--pid", "p"},
		"bad log format":        {"--store", dir, "--log-format", "xml", "find", "--pid", "p"},
		"extra argument":        {"--store", dir, "find", "--pid", "p", "extra"},
		"missing argument":      {"--store", dir, "store", "--pid", "p"},
		"empty --store":         {"--store", "", "find", "--pid", "p"},
	} {
		t.Run(name, func(t *testing.T) {
			r := run(t, nil, args...)
			require.Equal(t, ExitUsage, r.code, "stderr: %s", r.stderr)
			require.Empty(t, r.stdout)
			require.True(t, strings.HasPrefix(r.stderr, "hashstore: "), r.stderr)
			require.Contains(t, r.stderr, "--help' for usage.")
			fails(t, ExitUsage, "usage", nil, args...)
		})
	}
	r := run(t, nil, "--store", dir, "fnid")
	require.Contains(t, r.stderr, `unknown command "fnid"`)
	require.Contains(t, r.stderr, "find", "a suggestion")
	r = run(t, nil, "--store", dir, "get")
	require.Contains(t, r.stderr, `required flag(s) "pid" not set`)
}

// TestMissingStore is not parallel: it clears $HASHSTORE_STORE.
func TestMissingStore(t *testing.T) {
	t.Setenv(StoreEnv, "")
	for _, args := range [][]string{
		{"init"}, {"find", "--pid", "p"}, {"store", "-"}, {"metadata", "get", "--pid", "p"},
	} {
		r := run(t, nil, args...)
		require.Equal(t, ExitUsage, r.code, "%v: %s", args, r.stderr)
		require.Contains(t, r.stderr, "no store given: use --store DIR or set $HASHSTORE_STORE")
		fails(t, ExitUsage, "usage", nil, args...)
	}
}

func TestJSONErrorDocument(t *testing.T) {
	t.Parallel()
	dir := newStore(t)
	r := run(t, nil, "--store", dir, "--json", "find", "--pid", "no.such.pid")
	require.Equal(t, ExitFailure, r.code)
	// Exactly {"error": {"kind": K, "message": M}}, the message as on stderr.
	var doc map[string]map[string]string
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &doc))
	require.Equal(t, map[string]map[string]string{"error": {
		"kind":    "not_found",
		"message": `hashstore: find object "no.such.pid": not found: no pid refs file`,
	}}, doc)
	require.Equal(t, doc["error"]["message"]+"\n", r.stderr)
	// Without --json stdout stays empty.
	r = run(t, nil, "--store", dir, "find", "--pid", "no.such.pid")
	require.Equal(t, ExitFailure, r.code)
	require.Empty(t, r.stdout)
	require.Equal(t, `hashstore: find object "no.such.pid": not found: no pid refs file`+"\n", r.stderr)
	// --json=false after --json turns it off again.
	require.Empty(t, run(t, nil, "--store", dir, "--json", "--json=false", "find", "--pid", "x", "--bogus").stdout)
}

func TestLogging(t *testing.T) {
	t.Parallel()
	dir := newStore(t)
	r := ok(t, nil, "--store", dir, "--log-level", "debug", "--log-format", "json", "store", "--pid", jtaoPID, jtaoFile)
	var msgs []string
	sc := bufio.NewScanner(strings.NewReader(r.stderr))
	for sc.Scan() {
		var rec map[string]any
		require.NoError(t, json.Unmarshal(sc.Bytes(), &rec), "a JSON log line: %q", sc.Text())
		msgs = append(msgs, rec[slog.MessageKey].(string))
	}
	require.Contains(t, msgs, "opening store")
	require.Contains(t, msgs, "stored object")
	r = ok(t, nil, "--store", dir, "--log-level", "INFO", "get", "--pid", jtaoPID, "-o", t.TempDir()+"/x")
	require.Contains(t, r.stderr, "level=INFO msg=\"retrieved object\"")
	require.NotContains(t, r.stderr, "opening store")
	r = ok(t, nil, "--store", dir, "get", "--pid", jtaoPID, "-o", t.TempDir()+"/x")
	require.Empty(t, r.stderr, "warnings only by default")
}

func TestHelpAndVersion(t *testing.T) {
	t.Parallel()
	a := &App{Getenv: func(string) string { return "" }}
	var walk func(c *cobra.Command)
	seen := map[string]bool{}
	walk = func(c *cobra.Command) {
		seen[c.CommandPath()] = true
		require.NotEmpty(t, c.Short, c.CommandPath())
		require.NotEmpty(t, c.Long, c.CommandPath())
		require.NotEmpty(t, c.Example, c.CommandPath())
		require.NotNil(t, c.RunE, c.CommandPath())
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(a.newRootCmd())
	for _, path := range []string{"hashstore", "hashstore init", "hashstore store", "hashstore validate",
		"hashstore tag", "hashstore get", "hashstore digest", "hashstore delete", "hashstore find",
		"hashstore metadata", "hashstore metadata put", "hashstore metadata get", "hashstore metadata delete",
		"hashstore version"} {
		require.True(t, seen[path], "%s exists", path)
		args := append(strings.Fields(path)[1:], "--help")
		r := ok(t, nil, args...)
		require.Contains(t, r.stdout, "Examples:", path)
		require.Contains(t, r.stdout, "--store DIR", path)
		require.Empty(t, r.stderr)
	}
	require.Regexp(t, `^hashstore \S+\n$`, ok(t, nil, "--version").stdout)
	require.Regexp(t, `^hashstore \S+ \(go[^)]+\)\n$`, ok(t, nil, "version").stdout)
	v := decode[map[string]string](t, ok(t, nil, "version", "--json").stdout)
	require.NotEmpty(t, v["version"])
	require.NotEmpty(t, v["go"])
}

func TestParseRange(t *testing.T) {
	t.Parallel()
	for spec, want := range map[string][2]int64{
		"0-99": {0, 100}, "5-5": {5, 1}, "10-": {10, 90}, "-1": {99, 1}, "-100": {0, 100}, "-500": {0, 100},
		"50-1000": {50, 50}, "bytes=0-0": {0, 1}, "99-": {99, 1}, "0099-0099": {99, 1},
	} {
		r, err := parseRange(spec)
		require.NoError(t, err, spec)
		off, n, err := r.resolve(100)
		require.NoError(t, err, spec)
		require.Equal(t, want, [2]int64{off, n}, spec)
	}
	for _, spec := range []string{"", "-", "--1", "1", "a-b", "2-1", "-0", " 1-2", "1-2 ", "0x1-2", "1-2-3", "99999999999999999999-"} {
		_, err := parseRange(spec)
		require.Error(t, err, "%q", spec)
		var u *usageError
		require.ErrorAs(t, err, &u)
	}
	for _, spec := range []string{"100-", "100-200", "5-"} {
		r, err := parseRange(spec)
		require.NoError(t, err)
		size := int64(100)
		if spec == "5-" {
			size = 0
		}
		_, _, err = r.resolve(size)
		require.Error(t, err, spec)
	}
}
