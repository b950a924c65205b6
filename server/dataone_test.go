package server

import (
	"encoding/xml"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hashstore-go/hashstore/hashstore/hashstoretest"
)

// TestDescribeHeaders checks describe (HEAD) against each test vector's system metadata:
// DataONE's header set (both names of the format), the size, the HTTP date of
// dateSysMetadataModified, and the cid as ETag and digests; and that GET sends the same.
func TestDescribeHeaders(t *testing.T) {
	f := newFixture(t, nil)
	want := map[string]struct{ format, checksum, serial, modified, disposition string }{
		"jtao.1700.1": {"https://eml.ecoinformatics.org/eml-2.2.0", "MD5,f4ea2d07db950873462a064937197b0f", "0",
			"Sat, 02 Nov 2019 00:28:25 GMT", "attachment; filename=jtao.1700.1"},
		"doi:10.18739/A2901ZH2M": {"http://www.isotc211.org/2005/gmd", "SHA-256,4d198171eef969d553d4c9537b1811a7b078f9a3804fc978a761bc014c05972c",
			"0", "Tue, 02 Nov 2021 23:08:20 GMT", "attachment; filename=metadata.xml"},
	}
	for _, v := range hashstoretest.Vectors() {
		_, err := f.store.StoreObject(t.Context(), strings.NewReader(string(v.Data())))
		require.NoError(t, err)
		require.NoError(t, f.store.TagObject(t.Context(), v.PID, v.CID))
		_, err = f.store.StoreMetadata(t.Context(), v.PID, strings.NewReader(string(v.Sysmeta())))
		require.NoError(t, err)
		w, ok := want[v.PID]
		if !ok {
			// The reference vector's system metadata says 18934 bytes; its data has 18699.
			// Such an object is not served: the size it would announce is wrong.
			resp, _ := f.do(http.MethodHead, "/mn/v2/object/"+escape(v.PID), nil)
			assert.Equal(t, http.StatusInternalServerError, resp.StatusCode)
			assert.Equal(t, "1390", resp.Header.Get("DataONE-Exception-DetailCode"))
			resp, body := f.do(http.MethodGet, "/mn/v2/object/"+escape(v.PID), nil)
			assert.Equal(t, "1030", d1Err(t, resp, body).DetailCode)
			assert.Contains(t, f.logs.String(), "object size differs from its system metadata")
			continue
		}
		for _, method := range []string{http.MethodHead, http.MethodGet} {
			resp, body := f.do(method, "/mn/v2/object/"+escape(v.PID), nil)
			require.Equal(t, http.StatusOK, resp.StatusCode, "%s %s", method, v.PID)
			h := resp.Header
			assert.Equal(t, w.format, h.Get("DataONE-FormatId"), v.PID)
			assert.Equal(t, w.format, h.Get("DataONE-ObjectFormat"), v.PID)
			assert.Equal(t, w.checksum, h.Get("DataONE-Checksum"), v.PID)
			assert.Equal(t, w.serial, h.Get("DataONE-SerialVersion"), v.PID)
			assert.Equal(t, w.modified, h.Get("Last-Modified"), v.PID)
			assert.Equal(t, w.disposition, h.Get("Content-Disposition"), v.PID)
			assert.Equal(t, `"`+v.CID+`"`, h.Get("ETag"))
			assert.Equal(t, v.CID, h.Get("X-HashStore-CID"))
			assert.Equal(t, "bytes", h.Get("Accept-Ranges"))
			assert.Equal(t, "sha-256=:"+b64hex(v.CID)+":", h.Get("Repr-Digest"))
			assert.Equal(t, "SHA-256="+b64hex(v.CID), h.Get("Digest"))
			assert.Equal(t, "application/octet-stream", h.Get("Content-Type"))
			assert.Equal(t, v.Size, resp.ContentLength, method)
			if method == http.MethodGet {
				assert.Equal(t, v.Data(), body)
			} else {
				assert.Empty(t, body)
			}
		}
		// the raw header names, as DataONE spells them
		resp, _ := f.do(http.MethodHead, "/mn/v2/object/"+escape(v.PID), nil)
		var names []string
		for k := range resp.Header {
			names = append(names, k)
		}
		assert.Contains(t, names, "Dataone-Formatid") // Go canonicalises what it reads
	}
}

// TestDescribeErrors: HEAD has no body, so the exception travels in DataONE-Exception-*
// headers, with describe's detail codes.
func TestDescribeErrors(t *testing.T) {
	f := newFixture(t, nil)
	resp, body := f.do(http.MethodHead, "/mn/v2/object/no.such.pid", nil)
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
	assert.Empty(t, body)
	h := resp.Header
	assert.Equal(t, "NotFound", h.Get("DataONE-Exception-Name"))
	assert.Equal(t, "404", h.Get("DataONE-Exception-ErrorCode"))
	assert.Equal(t, "1380", h.Get("DataONE-Exception-DetailCode"))
	assert.Equal(t, "no.such.pid", h.Get("DataONE-Exception-PID"))
	assert.Equal(t, "no.such.pid", h.Get("DataONE-Exception-Identifier"))
	assert.Contains(t, h.Get("DataONE-Exception-Description"), "not found")

	f.put("private.1", []byte("secret"), false)
	resp, _ = f.do(http.MethodHead, "/mn/v2/object/private.1", nil)
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	assert.Equal(t, "NotAuthorized", resp.Header.Get("DataONE-Exception-Name"))
	assert.Equal(t, "1360", resp.Header.Get("DataONE-Exception-DetailCode"))
	assert.Contains(t, resp.Header.Get("WWW-Authenticate"), "Bearer")
}

// TestErrorDocument checks the <error> document: no namespace, the attributes DataONE's
// clients read, an XML content type.
func TestErrorDocument(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.NodeID = "urn:node:TEST" })
	resp, body := f.do(http.MethodGet, "/mn/v2/object/no.such.pid", nil)
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
	e := d1Err(t, resp, body)
	assert.Equal(t, xml.Name{Local: "error"}, e.XMLName)
	assert.Equal(t, "NotFound", e.Name)
	assert.Equal(t, "1020", e.DetailCode)
	assert.Equal(t, "no.such.pid", e.Identifier)
	assert.Equal(t, "urn:node:TEST", e.NodeID)
	assert.True(t, strings.HasPrefix(string(body), `<?xml version="1.0" encoding="UTF-8"?>`+"\n"+`<error name="NotFound" errorCode="404" detailCode="1020"`), "%s", body)
}

// TestReadPolicy: with the default policy only objects whose system metadata grants public
// read are served (and their metadata and checksum); the write token reads everything;
// --read-access all reads everything. Each refusal carries its call's detail code.
func TestReadPolicy(t *testing.T) {
	for _, access := range []ReadAccess{ReadPublic, ReadAll} {
		f := newFixture(t, func(c *Config) { c.ReadAccess = access })
		f.put("public.1", []byte("open"), true)
		f.put("private.1", []byte("closed"), false)
		_, err := f.store.StoreObject(t.Context(), strings.NewReader("no sysmeta"))
		require.NoError(t, err)
		require.NoError(t, f.store.TagObject(t.Context(), "bare.1", sha256Hex([]byte("no sysmeta"))))
		for _, c := range []struct{ path, detail string }{
			{"/mn/v2/object/", "1000"}, {"/mn/v2/meta/", "1040"}, {"/mn/v2/checksum/", "1400"},
		} {
			resp, _ := f.do(http.MethodGet, c.path+"public.1", nil)
			assert.Equal(t, http.StatusOK, resp.StatusCode, c.path)
			for _, pid := range []string{"private.1", "bare.1"} {
				if c.path == "/mn/v2/meta/" && pid == "bare.1" {
					continue // no document: not found, whatever the policy
				}
				resp, body := f.do(http.MethodGet, c.path+pid, nil)
				if access == ReadAll {
					assert.Equal(t, http.StatusOK, resp.StatusCode, "%s%s: %s", c.path, pid, body)
				} else {
					assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, "%s%s", c.path, pid)
					e := d1Err(t, resp, body)
					assert.Equal(t, "NotAuthorized", e.Name)
					assert.Equal(t, c.detail, e.DetailCode)
				}
				resp, _ = f.do(http.MethodGet, c.path+pid, nil, "Authorization", "Bearer "+testToken)
				assert.Equal(t, http.StatusOK, resp.StatusCode, "%s%s with the token", c.path, pid)
				// a token that is not ours is no token, not an error: DataONE clients send theirs
				resp, _ = f.do(http.MethodGet, c.path+"public.1", nil, "Authorization", "Bearer someone-elses-jwt")
				assert.Equal(t, http.StatusOK, resp.StatusCode)
			}
		}
		resp, body := f.do(http.MethodGet, "/hs/v1/object/private.1", nil)
		if access == ReadPublic {
			assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
			assert.Contains(t, string(body), `"kind":"unauthorized"`)
		} else {
			assert.Equal(t, "closed", string(body))
		}
	}
}

// TestChecksum: getChecksum hashes the object for the algorithm asked (SHA-1 when none is),
// answers a DataONE Checksum document, and refuses unknown algorithms with 1402.
func TestChecksum(t *testing.T) {
	f := newFixture(t, nil)
	v := hashstoretest.Vectors()[0]
	f.put(v.PID, v.Data(), true)
	for q, alg := range map[string]string{"": "SHA-1", "?checksumAlgorithm=MD5": "MD5", "?checksumAlgorithm=SHA-256": "SHA-256",
		"?checksumAlgorithm=SHA256": "SHA-256", "?checksumAlgorithm=SHA-512": "SHA-512"} {
		resp, body := f.do(http.MethodGet, "/mn/v2/checksum/"+escape(v.PID)+q, nil)
		require.Equal(t, http.StatusOK, resp.StatusCode, q)
		var c struct {
			XMLName   xml.Name
			Algorithm string `xml:"algorithm,attr"`
			Value     string `xml:",chardata"`
		}
		require.NoError(t, xml.Unmarshal(body, &c))
		assert.Equal(t, xml.Name{Space: "http://ns.dataone.org/service/types/v1", Local: "checksum"}, c.XMLName)
		assert.Equal(t, alg, c.Algorithm)
		assert.Equal(t, v.Digests[hashAlg(alg)], c.Value, alg)
	}
	resp, body := f.do(http.MethodGet, "/mn/v2/checksum/"+escape(v.PID)+"?checksumAlgorithm=CRC32", nil)
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
	e := d1Err(t, resp, body)
	assert.Equal(t, "InvalidRequest", e.Name)
	assert.Equal(t, "1402", e.DetailCode)
	assert.Contains(t, e.Description, "SHA-256")
	resp, body = f.do(http.MethodGet, "/mn/v2/checksum/nope", nil)
	assert.Equal(t, "1420", d1Err(t, resp, body).DetailCode)
}

// TestMetaAndPing: getSystemMetadata sends the stored document as it is; ping answers 200
// with an empty body, and ServiceFailure 2042 (with /readyz 503) once the server drains.
func TestMetaAndPing(t *testing.T) {
	f := newFixture(t, nil)
	v := hashstoretest.Vectors()[1]
	f.put(v.PID, v.Data(), true)
	_, err := f.store.StoreMetadata(t.Context(), v.PID, strings.NewReader(string(v.Sysmeta())))
	require.NoError(t, err)
	resp, body := f.do(http.MethodGet, "/mn/v2/meta/"+escape(v.PID), nil)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, v.Sysmeta(), body)
	assert.Equal(t, "text/xml; charset=utf-8", resp.Header.Get("Content-Type"))
	resp, body = f.do(http.MethodGet, "/mn/v2/meta/nope", nil)
	assert.Equal(t, "1060", d1Err(t, resp, body).DetailCode)

	resp, body = f.do(http.MethodGet, "/mn/v2/monitor/ping", nil)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Empty(t, body)
	assert.NotEmpty(t, resp.Header.Get("Date"))
	resp, _ = f.do(http.MethodGet, "/readyz", nil)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	f.srv.Drain()
	resp, body = f.do(http.MethodGet, "/mn/v2/monitor/ping", nil)
	assert.Equal(t, http.StatusInternalServerError, resp.StatusCode)
	assert.Equal(t, "2042", d1Err(t, resp, body).DetailCode)
	resp, _ = f.do(http.MethodGet, "/readyz", nil)
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	resp, _ = f.do(http.MethodGet, "/healthz", nil)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
}
