package server

import (
	"encoding/hex"
	"encoding/xml"
	"hash"
	"io"
	"io/fs"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/hashstore-go/hashstore/hashstore"
)

// The DataONE Member Node read routes.

// typesV1 is the namespace of DataONE's Checksum and Identifier types.
const typesV1 = "http://ns.dataone.org/service/types/v1"

// ping is MNCore.ping: 200 with an empty body, or ServiceFailure while draining.
func (s *Server) ping(w http.ResponseWriter, r *http.Request, _ string) {
	if s.draining.Load() {
		dataone{s, callPing}.fail(w, r, &problem{d1: exServiceFailure, msg: "the server is shutting down"})
		return
	}
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(http.StatusOK)
}

// d1Get is MNRead.get: the object's bytes.
func (s *Server) d1Get(w http.ResponseWriter, r *http.Request, pid string) {
	a := dataone{s, callGet}
	o, meta := s.readObject(w, r, a, pid)
	if o == nil {
		return
	}
	defer o.f.Close()
	s.sendObject(w, r, a, o, meta, false)
}

// d1Describe is MNRead.describe (HEAD): the object's headers from its system metadata,
// without reading the object. A suspect object is refused here too.
func (s *Server) d1Describe(w http.ResponseWriter, r *http.Request, pid string) {
	a := dataone{s, callDescribe}
	o, meta := s.readObject(w, r, a, pid)
	if o == nil {
		return
	}
	defer o.f.Close()
	if ce := s.integ.suspected(o.cid, o.fp); ce != nil {
		a.fail(w, r, s.corruptProblem(o, ce))
		return
	}
	s.setObjectHeaders(w, o, meta)
	w.Header().Set("Content-Length", strconv.FormatInt(o.size, 10))
	w.WriteHeader(http.StatusOK)
}

// d1Meta is MNRead.getSystemMetadata: the stored document, as it is.
func (s *Server) d1Meta(w http.ResponseWriter, r *http.Request, pid string) {
	a := dataone{s, callMeta}
	rc, err := s.store.RetrieveMetadata(r.Context(), pid)
	if err != nil {
		a.fail(w, r, storeProblem(pid, err))
		return
	}
	defer rc.Close()
	if _, p := s.authorizeRead(r, pid); p != nil {
		a.fail(w, r, p)
		return
	}
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	http.ServeContent(w, r, "", modTime(rc), rc)
}

// d1Checksum is MNRead.getChecksum. The answer must be right, not remembered, so the object
// is read and hashed every time, together with the store algorithm: the checksum of bytes
// that do not match their cid is never given out (they are reported as corrupt instead).
// Without checksumAlgorithm, SHA-1 (DataONE's default) is used.
func (s *Server) d1Checksum(w http.ResponseWriter, r *http.Request, pid string) {
	a := dataone{s, callChecksum}
	name := r.URL.Query().Get("checksumAlgorithm")
	if name == "" {
		name = string(hashstore.SHA1)
	}
	alg, err := hashstore.ParseAlgorithm(name)
	if err != nil {
		a.fail(w, r, &problem{d1: exInvalidRequest, pid: pid, msg: "unsupported checksumAlgorithm " + strconv.Quote(name) +
			"; supported: " + algorithmList()})
		return
	}
	o, _ := s.readObject(w, r, a, pid)
	if o == nil {
		return
	}
	defer o.f.Close()
	if ce := s.integ.suspected(o.cid, o.fp); ce != nil {
		a.fail(w, r, s.corruptProblem(o, ce))
		return
	}
	buf := s.bufs.get()
	defer s.bufs.put(buf)
	h := s.newHasher(o.cid)
	defer s.putHasher(h)
	var other hash.Hash
	if alg != s.alg {
		other = alg.New()
	}
	err = hashAll(r.Context(), readerFunc(func(p []byte) (int, error) {
		n, err := o.f.Read(p)
		if other != nil {
			other.Write(p[:n])
		}
		return n, err
	}), buf, h)
	if err != nil {
		a.fail(w, r, storeProblem(pid, &hashstore.OpError{Op: "get checksum", ID: pid, Err: err}))
		return
	}
	if ce := h.check(); ce != nil {
		s.reportCorrupt(o, ce, 0)
		a.fail(w, r, s.corruptProblem(o, ce))
		return
	}
	s.integ.markVerified(o.cid, o.fp)
	sum := o.cid
	if other != nil {
		sum = hex.EncodeToString(other.Sum(nil))
	}
	type checksum struct {
		XMLName   xml.Name `xml:"d1:checksum"`
		NS        string   `xml:"xmlns:d1,attr"`
		Algorithm string   `xml:"algorithm,attr"`
		Value     string   `xml:",chardata"`
	}
	writeXML(w, checksum{NS: typesV1, Algorithm: string(alg), Value: sum})
}

// d1List is MNRead.listObjects, which a HashStore cannot answer: it keeps no index by date
// or format.
func (s *Server) d1List(w http.ResponseWriter, r *http.Request, _ string) {
	dataone{s, callList}.fail(w, r, &problem{d1: exNotImplemented,
		msg: "listObjects is not implemented: the store keeps no index to list from"})
}

// algorithmList names the algorithms getChecksum accepts, DataONE's first.
func algorithmList() string {
	var names []string
	for _, a := range hashstore.SupportedAlgorithms() {
		names = append(names, string(a))
	}
	return strings.Join(names, ", ")
}

// writeXML sends v as a 200 XML document.
func writeXML(w http.ResponseWriter, v any) {
	body, err := xml.Marshal(v)
	if err != nil {
		http.Error(w, "encoding the response failed", http.StatusInternalServerError)
		return
	}
	out := append([]byte(xml.Header), body...)
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(out)))
	w.WriteHeader(http.StatusOK)
	w.Write(out)
}

// readerFunc makes a function an io.Reader.
type readerFunc func([]byte) (int, error)

func (f readerFunc) Read(p []byte) (int, error) { return f(p) }

// modTime is a reader's file modification time, when it has one.
func modTime(r io.Reader) time.Time {
	if st, ok := r.(interface{ Stat() (fs.FileInfo, error) }); ok {
		if fi, err := st.Stat(); err == nil {
			return fi.ModTime()
		}
	}
	return time.Time{}
}
