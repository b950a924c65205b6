package server

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/spf13/afero"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hashstore-go/hashstore/hashstore"
	"github.com/hashstore-go/hashstore/internal/faultfs"
)

// part is one part of a create body.
type part struct {
	name, disposition string // disposition "" means form-data
	data              []byte
}

// createBody builds a multipart body of parts, in order, as form-data or mixed.
func createBody(t *testing.T, mixed bool, parts ...part) (io.Reader, string) {
	t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	for _, p := range parts {
		h := textproto.MIMEHeader{}
		disp := p.disposition
		if disp == "" {
			disp = "form-data"
		}
		h.Set("Content-Disposition", fmt.Sprintf(`%s; name=%q; filename=%q`, disp, p.name, p.name))
		h.Set("Content-Type", "application/octet-stream")
		pw, err := w.CreatePart(h)
		require.NoError(t, err)
		pw.Write(p.data)
	}
	require.NoError(t, w.Close())
	kind := "form-data"
	if mixed {
		kind = "mixed"
	}
	return &b, "multipart/" + kind + "; boundary=" + w.Boundary()
}

// create POSTs a create body with the token.
func (f *fixture) create(mixed bool, parts ...part) (*http.Response, []byte) {
	f.t.Helper()
	body, ct := createBody(f.t, mixed, parts...)
	return f.do(http.MethodPost, "/mn/v2/object", body, "Content-Type", ct, "Authorization", "Bearer "+testToken)
}

// requireNothingLeft asserts that the store holds no object, reference, metadata or temp file
// and that an audit finds it clean.
func (f *fixture) requireNothingLeft(why string) {
	f.t.Helper()
	assert.Empty(f.t, f.storeFiles(), why)
	sum, err := f.store.Audit(f.t.Context(), hashstore.AuditOptions{TempGrace: -1}, nil)
	require.NoError(f.t, err)
	assert.True(f.t, sum.Clean, "%s: audit %+v", why, sum)
	assert.Zero(f.t, sum.Findings, why)
}

// TestCreateBothOrders creates objects with the parts in every order DataONE clients use,
// form-data and mixed: each is stored, tagged, with the system metadata as sent.
func TestCreateBothOrders(t *testing.T) {
	f := newFixture(t, nil)
	orders := map[string][]string{
		"python (pid, object, sysmeta)": {"pid", "object", "sysmeta"},
		"sysmeta first":                 {"sysmeta", "pid", "object"},
		"object first, no pid part":     {"object", "sysmeta"},
		"sysmeta, object, pid":          {"sysmeta", "object", "pid"},
	}
	i := 0
	for name, order := range orders {
		for _, mixed := range []bool{false, true} {
			i++
			pid := fmt.Sprintf("create.%d", i)
			data := pseudoRandom(byte(i), 100000+i)
			doc := sysmetaDoc(t, pid, data, true)
			var parts []part
			for _, n := range order {
				switch n {
				case "pid":
					parts = append(parts, part{name: "pid", data: []byte(pid)})
				case "object":
					parts = append(parts, part{name: "object", data: data})
				case "sysmeta":
					disp := ""
					if mixed {
						disp = "attachment"
					}
					parts = append(parts, part{name: "sysmeta", disposition: disp, data: doc})
				}
			}
			resp, body := f.create(mixed, parts...)
			require.Equal(t, http.StatusOK, resp.StatusCode, "%s (mixed %v): %s", name, mixed, body)
			var id struct {
				XMLName xml.Name
				Value   string `xml:",chardata"`
			}
			require.NoError(t, xml.Unmarshal(body, &id))
			assert.Equal(t, xml.Name{Space: typesV1, Local: "identifier"}, id.XMLName)
			assert.Equal(t, pid, id.Value)
			info, err := f.store.FindObject(t.Context(), pid)
			require.NoError(t, err, name)
			assert.Equal(t, sha256Hex(data), info.CID)
			rc, err := f.store.RetrieveMetadata(t.Context(), pid)
			require.NoError(t, err)
			stored, _ := io.ReadAll(rc)
			rc.Close()
			assert.Equal(t, doc, stored, "the system metadata is stored as sent")
			resp, got := f.do(http.MethodGet, "/mn/v2/object/"+pid, nil)
			assert.Equal(t, http.StatusOK, resp.StatusCode)
			assert.Equal(t, data, got)
		}
	}
	sum, err := f.store.Audit(t.Context(), hashstore.AuditOptions{TempGrace: -1}, nil)
	require.NoError(t, err)
	assert.True(t, sum.Clean)
	assert.Zero(t, sum.Counts[hashstore.FindingUntaggedObject], "no object was left untagged")
}

// TestCreateRefusals: a create that cannot be accepted leaves nothing behind, in either part
// order, and says why with create's exception and detail code.
func TestCreateRefusals(t *testing.T) {
	data := pseudoRandom(1, 70000)
	good := func(t *testing.T) []byte { return sysmetaDoc(t, "bad.1", data, true) }
	cases := []struct {
		name   string
		parts  func(t *testing.T) []part
		status int
		ex     string
		detail string
		reason string // the upload_rejected_total reason counted, if any
	}{
		{"checksum mismatch, sysmeta first", func(t *testing.T) []part {
			return []part{{name: "sysmeta", data: sysmetaDoc(t, "bad.1", pseudoRandom(2, 70000), true)}, {name: "object", data: data}}
		}, 400, exInvalidSystemMetadata, "1180", "checksum"},
		{"checksum mismatch, object first", func(t *testing.T) []part {
			return []part{{name: "pid", data: []byte("bad.1")}, {name: "object", data: data},
				{name: "sysmeta", data: sysmetaDoc(t, "bad.1", pseudoRandom(2, 70000), true)}}
		}, 400, exInvalidSystemMetadata, "1180", "checksum"},
		{"size mismatch, sysmeta first", func(t *testing.T) []part {
			return []part{{name: "sysmeta", data: good(t)}, {name: "object", data: data[:69999]}}
		}, 400, exInvalidSystemMetadata, "1180", "size"},
		{"size mismatch, object first", func(t *testing.T) []part {
			return []part{{name: "object", data: append(clone(data), 0)}, {name: "sysmeta", data: good(t)}}
		}, 400, exInvalidSystemMetadata, "1180", "size"},
		{"pid differs from the identifier", func(t *testing.T) []part {
			return []part{{name: "pid", data: []byte("other.1")}, {name: "object", data: data}, {name: "sysmeta", data: good(t)}}
		}, 400, exInvalidSystemMetadata, "1180", "sysmeta"},
		{"pid differs, sysmeta first", func(t *testing.T) []part {
			return []part{{name: "sysmeta", data: good(t)}, {name: "object", data: data}, {name: "pid", data: []byte("other.1")}}
		}, 400, exInvalidSystemMetadata, "1180", "sysmeta"},
		{"no sysmeta", func(t *testing.T) []part {
			return []part{{name: "pid", data: []byte("bad.1")}, {name: "object", data: data}}
		}, 400, exInvalidRequest, "1102", ""},
		{"no object", func(t *testing.T) []part {
			return []part{{name: "pid", data: []byte("bad.1")}, {name: "sysmeta", data: good(t)}}
		}, 400, exInvalidRequest, "1102", ""},
		{"malformed sysmeta", func(t *testing.T) []part {
			return []part{{name: "object", data: data}, {name: "sysmeta", data: []byte("<systemMetadata>")}}
		}, 400, exInvalidSystemMetadata, "1180", "sysmeta"},
		{"unknown part", func(t *testing.T) []part {
			return []part{{name: "object", data: data}, {name: "extra", data: []byte("x")}, {name: "sysmeta", data: good(t)}}
		}, 400, exInvalidRequest, "1102", ""},
		{"pid with a space", func(t *testing.T) []part {
			return []part{{name: "pid", data: []byte("bad 1")}, {name: "object", data: data}}
		}, 400, exInvalidRequest, "1102", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t, nil)
			resp, body := f.create(false, c.parts(t)...)
			require.Equal(t, c.status, resp.StatusCode, "%s", body)
			e := d1Err(t, resp, body)
			assert.Equal(t, c.ex, e.Name, e.Description)
			assert.Equal(t, c.detail, e.DetailCode)
			if c.reason != "" {
				assert.Equal(t, 1.0, f.metric("uploads_rejected", c.reason))
			}
			f.requireNothingLeft(c.name)
		})
	}
}

// TestCreateDuplicate: a pid already in the store is IdentifierNotUnique (409, 1120), in
// either order, and the second object is not kept (not even untagged).
func TestCreateDuplicate(t *testing.T) {
	f := newFixture(t, nil)
	data := pseudoRandom(1, 5000)
	resp, body := f.create(false, part{name: "pid", data: []byte("dup.1")}, part{name: "object", data: data},
		part{name: "sysmeta", data: sysmetaDoc(t, "dup.1", data, true)})
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s", body)
	before := f.storeFiles()
	other := pseudoRandom(2, 5000)
	for _, parts := range [][]part{
		{{name: "pid", data: []byte("dup.1")}, {name: "object", data: other}, {name: "sysmeta", data: sysmetaDoc(t, "dup.1", other, true)}},
		{{name: "sysmeta", data: sysmetaDoc(t, "dup.1", other, true)}, {name: "object", data: other}},
		{{name: "object", data: other}, {name: "sysmeta", data: sysmetaDoc(t, "dup.1", other, true)}},
	} {
		resp, body := f.create(false, parts...)
		require.Equal(t, http.StatusConflict, resp.StatusCode, "%s", body)
		e := d1Err(t, resp, body)
		assert.Equal(t, exIdentifierNotUnique, e.Name)
		assert.Equal(t, "1120", e.DetailCode)
		assert.Equal(t, before, f.storeFiles(), "nothing added, nothing removed")
	}
}

// TestCreateAccess: writes need the token; a missing or wrong one is 401 (NotAuthorized 1100,
// InvalidToken 1110), a read-only server 501 (1101); and the refusal comes before the body is
// read, so a client waiting for "100 Continue" never sends it.
func TestCreateAccess(t *testing.T) {
	data := []byte("x")
	check := func(t *testing.T, f *fixture, auth string, status int, ex, detail string) {
		t.Helper()
		var read atomic.Bool
		body, ct := createBody(t, false, part{name: "object", data: data})
		req, err := http.NewRequest(http.MethodPost, f.ts.URL+"/mn/v2/object", readerFunc(func(p []byte) (int, error) {
			read.Store(true)
			return body.Read(p)
		}))
		require.NoError(t, err)
		req.ContentLength = -1
		req.Header.Set("Content-Type", ct)
		req.Header.Set("Expect", "100-continue")
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		tr := &http.Transport{ExpectContinueTimeout: 10 * time.Second}
		defer tr.CloseIdleConnections()
		resp, err := (&http.Client{Transport: tr}).Do(req)
		require.NoError(t, err)
		out, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.Equal(t, status, resp.StatusCode, "%s", out)
		e := d1Err(t, resp, out)
		assert.Equal(t, ex, e.Name)
		assert.Equal(t, detail, e.DetailCode)
		assert.False(t, read.Load(), "the body was not sent")
		assert.NotContains(t, f.logs.String(), testToken, "the token is never logged")
		assert.NotContains(t, f.logs.String(), "wrong-token")
	}
	f := newFixture(t, nil)
	check(t, f, "", 401, exNotAuthorized, "1100")
	check(t, f, "Bearer wrong-token", 401, exInvalidToken, "1110")
	check(t, f, "Basic "+testToken, 401, exNotAuthorized, "1100")
	check(t, newFixture(t, func(c *Config) { c.ReadOnly = true }), "Bearer "+testToken, 501, exNotImplemented, "1101")
	check(t, newFixture(t, func(c *Config) { c.WriteToken = "" }), "Bearer "+testToken, 501, exNotImplemented, "1101")
}

// TestCreateDiskFull: a store that runs out of space mid-object answers InsufficientResources
// (413, 1160) and keeps nothing.
func TestCreateDiskFull(t *testing.T) {
	ffs := faultfs.New(afero.NewOsFs())
	root := filepath.Join(t.TempDir(), "store")
	st, err := hashstore.New(root, hashstore.DefaultConfig(), hashstore.WithFs(ffs))
	require.NoError(t, err)
	cfg := DefaultConfig()
	cfg.WriteToken = testToken
	srv, err := New(st, cfg)
	require.NoError(t, err)
	ts := httptest.NewServer(srv)
	defer ts.Close()
	f := &fixture{t: t, store: st, srv: srv, ts: ts, root: root, logs: &syncBuffer{}, hc: ts.Client()}
	data := pseudoRandom(1, 3<<20)
	for _, order := range [][]string{{"sysmeta", "object"}, {"object", "sysmeta"}} {
		ffs.FailWritesAfter(1<<20, syscall.ENOSPC)
		var parts []part
		for _, n := range order {
			if n == "object" {
				parts = append(parts, part{name: "object", data: data})
			} else {
				parts = append(parts, part{name: "sysmeta", data: sysmetaDoc(t, "full.1", data, true)})
			}
		}
		resp, body := f.create(false, parts...)
		require.Equal(t, http.StatusRequestEntityTooLarge, resp.StatusCode, "%s", body)
		e := d1Err(t, resp, body)
		assert.Equal(t, exInsufficientResources, e.Name)
		assert.Equal(t, "1160", e.DetailCode)
		assert.Contains(t, e.Description, "no space left")
		ffs.Reset()
		f.requireNothingLeft(strings.Join(order, ","))
	}
}

// TestCreateClientGoesAway: a client that disconnects in the middle of the object leaves
// nothing behind.
func TestCreateClientGoesAway(t *testing.T) {
	f := newFixture(t, nil)
	data := pseudoRandom(1, 8<<20)
	body, ct := createBody(t, false, part{name: "sysmeta", data: sysmetaDoc(t, "gone.1", data, true)}, part{name: "object", data: data})
	full, _ := io.ReadAll(body)
	pr, pw := io.Pipe()
	req, err := http.NewRequest(http.MethodPost, f.ts.URL+"/mn/v2/object", pr)
	require.NoError(t, err)
	req.Header.Set("Content-Type", ct)
	req.Header.Set("Authorization", "Bearer "+testToken)
	done := make(chan error, 1)
	go func() {
		resp, err := f.ts.Client().Do(req)
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	_, err = pw.Write(full[:len(full)/2])
	require.NoError(t, err)
	require.Eventually(t, func() bool { return len(f.storeFiles()) > 0 }, 10*time.Second, 5*time.Millisecond, "a temp file appears")
	pw.CloseWithError(io.ErrClosedPipe)
	<-done
	require.Eventually(t, func() bool { return len(f.storeFiles()) == 0 }, 10*time.Second, 5*time.Millisecond, "the temp file goes")
	f.requireNothingLeft("client gone")
}
