package server

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/stretchr/testify/require"

	"github.com/hashstore-go/hashstore/hashstore"
	"github.com/hashstore-go/hashstore/server/servertest"
)

const testToken = "s3cret-write-token"

// fixture is a FileHashStore in a temp dir served by an httptest server.
type fixture struct {
	t     *testing.T
	store *hashstore.FileHashStore
	srv   *Server
	ts    *httptest.Server
	root  string
	logs  *syncBuffer
	hc    *http.Client
}

// newFixture serves a fresh store with DefaultConfig (plus a write token), changed by mutate.
func newFixture(t *testing.T, mutate func(*Config)) *fixture {
	t.Helper()
	root := filepath.Join(t.TempDir(), "store")
	st, err := hashstore.New(root, hashstore.DefaultConfig())
	require.NoError(t, err)
	logs := &syncBuffer{}
	srv, err := New(st, testConfig(logs, mutate))
	require.NoError(t, err)
	// As Serve runs it: with its per-connection state (corking).
	ts := httptest.NewUnstartedServer(srv)
	ts.Config.ConnContext, ts.Config.ConnState = withConn, srv.connState
	ts.Start()
	t.Cleanup(ts.Close)
	hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return &fixture{t: t, store: st, srv: srv, ts: ts, root: root, logs: logs, hc: hc}
}

// testConfig is DefaultConfig with the write token and a debug logger writing to logs,
// changed by mutate.
func testConfig(logs *syncBuffer, mutate func(*Config)) Config {
	cfg := DefaultConfig()
	cfg.WriteToken = testToken
	cfg.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	if mutate != nil {
		mutate(&cfg)
	}
	return cfg
}

// put stores data under pid with a system metadata document (public or not) and returns the
// cid.
func (f *fixture) put(pid string, data []byte, public bool) string {
	f.t.Helper()
	ctx := context.Background()
	meta, err := f.store.StoreObject(ctx, bytes.NewReader(data), hashstore.WithPID(pid))
	require.NoError(f.t, err)
	_, err = f.store.StoreMetadata(ctx, pid, bytes.NewReader(sysmetaDoc(f.t, pid, data, public)))
	require.NoError(f.t, err)
	return meta.CID
}

// putBare stores data under pid without system metadata and returns the cid.
func (f *fixture) putBare(pid string, data []byte) string {
	f.t.Helper()
	meta, err := f.store.StoreObject(context.Background(), bytes.NewReader(data), hashstore.WithPID(pid))
	require.NoError(f.t, err)
	return meta.CID
}

// sysmetaDoc is a valid v2 system metadata document for data under pid.
func sysmetaDoc(_ *testing.T, pid string, data []byte, public bool) []byte {
	return servertest.Sysmeta(pid, data, public)
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// do sends a request for a path given exactly as it goes on the wire (already escaped; the
// client does not touch it), with optional headers as name, value pairs.
func (f *fixture) do(method, path string, body io.Reader, hdr ...string) (*http.Response, []byte) {
	f.t.Helper()
	path, query, _ := strings.Cut(path, "?")
	req, err := http.NewRequest(method, f.ts.URL+"/", body)
	require.NoError(f.t, err)
	req.URL.Opaque = path
	req.URL.RawQuery = query
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := f.hc.Do(req)
	require.NoError(f.t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(f.t, err, "%s %s", method, path)
	return resp, data
}

// objectFile is the path of the object named cid.
func (f *fixture) objectFile(cid string) string {
	return filepath.Join(f.root, "objects", cid[:2], cid[2:4], cid[4:6], cid[6:])
}

// overwrite replaces the object file of cid with content (a corruption, or a repair).
func (f *fixture) overwrite(cid string, content []byte) {
	f.t.Helper()
	p := f.objectFile(cid)
	tmp := p + ".new"
	require.NoError(f.t, os.WriteFile(tmp, content, 0o664))
	require.NoError(f.t, os.Rename(tmp, p))
}

// d1Err decodes a DataONE error document.
func d1Err(t *testing.T, resp *http.Response, body []byte) xmlError {
	t.Helper()
	require.True(t, strings.HasPrefix(resp.Header.Get("Content-Type"), "text/xml"), "content type %q", resp.Header.Get("Content-Type"))
	var e xmlError
	require.NoError(t, xml.Unmarshal(body, &e), "%s", body)
	require.Equal(t, resp.StatusCode, e.ErrorCode, "errorCode is the HTTP status")
	return e
}

// counter reads a counter or gauge of the server's registry.
func (f *fixture) metric(name string, labels ...string) float64 {
	f.t.Helper()
	m := f.srv.metrics
	switch name {
	case "verify_failures":
		return value(m.verifyFail)
	case "suspects":
		return value(m.suspects)
	case "verified_bytes":
		return value(m.verified)
	case "buffers":
		return value(m.buffers)
	case "inflight":
		return value(m.inflight.WithLabelValues(labels...))
	case "rejected":
		return value(m.rejected.WithLabelValues(labels...))
	case "uploads_rejected":
		return value(m.uploadsBad.WithLabelValues(labels...))
	}
	f.t.Fatalf("no metric %s", name)
	return 0
}

// storeFiles lists the files under the store's data areas (objects, refs, metadata),
// temp directories included, relative to the root.
func (f *fixture) storeFiles() []string {
	f.t.Helper()
	var out []string
	for _, area := range []string{"objects", "refs", "metadata"} {
		err := filepath.WalkDir(filepath.Join(f.root, area), func(p string, d os.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() {
				rel, _ := filepath.Rel(f.root, p)
				out = append(out, filepath.ToSlash(rel))
			}
			return nil
		})
		require.NoError(f.t, err)
	}
	return out
}

// pseudoRandom returns n reproducible bytes.
func pseudoRandom(seed byte, n int) []byte { return servertest.PseudoRandom(seed, n) }

// syncBuffer is a bytes.Buffer safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// value reads a counter or a gauge.
func value(c prometheus.Collector) float64 {
	ch := make(chan prometheus.Metric, 1)
	c.Collect(ch)
	var d dto.Metric
	if err := (<-ch).Write(&d); err != nil {
		panic(err)
	}
	if d.Counter != nil {
		return d.Counter.GetValue()
	}
	return d.Gauge.GetValue()
}

// escape escapes a pid as one path segment, as DataONE clients do.
func escape(pid string) string { return url.PathEscape(pid) }

// b64hex is the standard base64 of a hex string's bytes.
func b64hex(h string) string {
	raw, err := hex.DecodeString(h)
	if err != nil {
		panic(err)
	}
	return base64.StdEncoding.EncodeToString(raw)
}

// hashAlg is the hashstore.Algorithm of a DataONE name.
func hashAlg(name string) hashstore.Algorithm {
	a, err := hashstore.ParseAlgorithm(name)
	if err != nil {
		panic(err)
	}
	return a
}
