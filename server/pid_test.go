package server

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hashstore-go/hashstore/hashstore/hashstoretest"
	"github.com/hashstore-go/hashstore/sysmeta"
)

// awkwardPIDs are identifiers DataONE allows that a path router could mangle: slashes, a
// plus, colons, dot segments, doubled slashes, query and fragment characters, a percent sign,
// reserved sub-delimiters, characters a URL must escape, and non-ASCII text.
var awkwardPIDs = []string{
	"doi:10.5063/F1X0R7",
	"a+b",
	"urn:lsid:example.org:ns:1:2",
	"http://example.com/data/mydata?row=24",
	"ldap://ldap1.example.net:6666/o=University%20of%20Michigan,c=US??sub?(cn=Babs%20Jensen)",
	"..",
	"a/../b",
	"./x",
	"x//y",
	"/leading",
	"trailing/",
	"frag#ment",
	"semi;colon",
	"sub:@$!()',~*&=",
	"ภาษาไทย.1",
	"Is é an Ghaeilge í ó ú",
	"50%off",
	"q\"<x>{y}|^`\\",
}

// TestEveryPIDRoundTrips stores every pid of the test data and every awkward pid (without
// whitespace, which pids cannot hold) and reads each back through get, describe,
// getSystemMetadata, getChecksum and the native find, with the pid escaped as one path
// segment: the server must decode it exactly once, never clean the path and never redirect.
func TestEveryPIDRoundTrips(t *testing.T) {
	f := newFixture(t, nil)
	type obj struct {
		pid  string
		data []byte
	}
	var objs []obj
	for _, v := range hashstoretest.Vectors() {
		f.put(v.PID, v.Data(), true)
		objs = append(objs, obj{v.PID, v.Data()})
	}
	for i, pid := range awkwardPIDs {
		if strings.ContainsAny(pid, " ") {
			continue
		}
		data := []byte(fmt.Sprintf("object %d of pid %q", i, pid))
		f.put(pid, data, true)
		objs = append(objs, obj{pid, data})
	}
	require.Greater(t, len(objs), 15)
	for _, o := range objs {
		esc := url.PathEscape(o.pid)
		resp, body := f.do(http.MethodGet, "/mn/v2/object/"+esc, nil)
		require.Equal(t, http.StatusOK, resp.StatusCode, "GET %s: %s", esc, body)
		assert.Equal(t, o.data, body, o.pid)
		assert.Equal(t, `"`+sha256Hex(o.data)+`"`, resp.Header.Get("ETag"), o.pid)

		resp, _ = f.do(http.MethodHead, "/mn/v2/object/"+esc, nil)
		assert.Equal(t, http.StatusOK, resp.StatusCode, "HEAD %s", esc)

		resp, body = f.do(http.MethodGet, "/mn/v2/meta/"+esc, nil)
		require.Equal(t, http.StatusOK, resp.StatusCode, "meta %s: %s", esc, body)
		doc, err := sysmeta.DecodeDocument(body)
		require.NoError(t, err)
		assert.Equal(t, o.pid, doc.Identifier)

		resp, body = f.do(http.MethodGet, "/mn/v2/checksum/"+esc+"?checksumAlgorithm=SHA-256", nil)
		require.Equal(t, http.StatusOK, resp.StatusCode, "checksum %s: %s", esc, body)
		assert.Contains(t, string(body), ">"+sha256Hex(o.data)+"<")

		resp, body = f.do(http.MethodGet, "/hs/v1/find/"+esc, nil)
		require.Equal(t, http.StatusOK, resp.StatusCode, "find %s: %s", esc, body)
		assert.Contains(t, string(body), `"cid":"`+sha256Hex(o.data)+`"`)
	}
}

// TestPIDSpellings sends the same pid in the spellings clients use: a raw "/" or "%2F", and
// a "+" that must stay a plus (never a space), and ":" raw or "%3A".
func TestPIDSpellings(t *testing.T) {
	f := newFixture(t, nil)
	f.put("doi:10.18739/A2901ZH2M", []byte("the doi"), true)
	f.put("a+b", []byte("plus"), true)
	for path, want := range map[string]string{
		"/mn/v2/object/doi:10.18739/A2901ZH2M":       "the doi",
		"/mn/v2/object/doi:10.18739%2FA2901ZH2M":     "the doi",
		"/mn/v2/object/doi%3A10.18739%2FA2901ZH2M":   "the doi",
		"/mn/v2/object/doi%3a10.18739%2fA2901ZH2M":   "the doi",
		"/mn/v2/object/a+b":                          "plus",
		"/mn/v2/object/a%2Bb":                        "plus",
		"/hs/v1/object/doi:10.18739/A2901ZH2M":       "the doi",
		"/hs/v1/object/doi%3A10.18739%2FA2901ZH2M":   "the doi",
		"/mn/v2/object/doi:10.18739%2FA2901ZH2M?x=y": "the doi",
	} {
		resp, body := f.do(http.MethodGet, path, nil)
		assert.Equal(t, http.StatusOK, resp.StatusCode, path)
		assert.Equal(t, want, string(body), path)
	}
	// "a b" is not "a+b": a space cannot be in a pid, so it is not found.
	resp, body := f.do(http.MethodGet, "/mn/v2/object/a%20b", nil)
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
	assert.Equal(t, "1020", d1Err(t, resp, body).DetailCode)
	// A dot segment is a pid, not a way out of the route.
	resp, _ = f.do(http.MethodGet, "/mn/v2/object/../../hashstore.yaml", nil)
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
	// Malformed escapes never reach a route: net/http refuses the request line.
	resp, _ = f.do(http.MethodGet, "/mn/v2/object/bad%zzescape", nil)
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
}

// TestRoutesAndMethods checks what is not a route: 404 for unknown paths in each family's
// error form, 405 with Allow for a known path with another method.
func TestRoutesAndMethods(t *testing.T) {
	f := newFixture(t, nil)
	resp, body := f.do(http.MethodGet, "/mn/v2/nosuch", nil)
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
	d1Err(t, resp, body)
	resp, body = f.do(http.MethodGet, "/hs/v1/nosuch/x", nil)
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
	assert.Contains(t, string(body), `"kind":"no_route"`)
	resp, _ = f.do(http.MethodGet, "/elsewhere", nil)
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)

	resp, body = f.do(http.MethodDelete, "/mn/v2/object/x", nil)
	assert.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode)
	assert.Equal(t, "GET, HEAD", resp.Header.Get("Allow"))
	d1Err(t, resp, body)
	resp, _ = f.do(http.MethodPut, "/mn/v2/object", nil)
	assert.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode)
	assert.Equal(t, "GET, POST", resp.Header.Get("Allow"))

	resp, body = f.do(http.MethodGet, "/mn/v2/object", nil)
	assert.Equal(t, http.StatusNotImplemented, resp.StatusCode)
	assert.Equal(t, "1560", d1Err(t, resp, body).DetailCode)
}

// TestBase puts the DataONE routes under another prefix, or at the root.
func TestBase(t *testing.T) {
	for _, base := range []string{"/knb/d1/mn", ""} {
		f := newFixture(t, func(c *Config) { c.Base = base })
		f.put("p.1", []byte("x"), true)
		resp, body := f.do(http.MethodGet, base+"/v2/object/p.1", nil)
		assert.Equal(t, http.StatusOK, resp.StatusCode, base)
		assert.Equal(t, "x", string(body))
		resp, _ = f.do(http.MethodGet, "/mn/v2/object/p.1", nil)
		assert.Equal(t, http.StatusNotFound, resp.StatusCode, base)
	}
	_, err := New(newFixture(t, nil).store, func() Config { c := DefaultConfig(); c.Base = "mn/"; return c }())
	assert.ErrorContains(t, err, "base")
}
