package server

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"syscall"

	"github.com/hashstore-go/hashstore/hashstore"
	"github.com/hashstore-go/hashstore/server/internal/wire"
)

// problem is a failed request, described for both kinds of route: a DataONE exception name
// for the DataONE routes and a kind word for the native ones. A problem made from a store
// error (err) derives both from it.
type problem struct {
	status int    // HTTP status; 0 means the one of the exception (or of the error's kind)
	d1     string // DataONE exception name; "" means derived from err
	kind   string // native kind; "" means derived from err
	msg    string
	pid    string
	err    error // the store's error, if the problem is one
	object *hashstore.ObjectMetadata
	info   *hashstore.ObjectInfo
}

// storeProblem wraps a store error.
func storeProblem(pid string, err error) *problem {
	return &problem{pid: pid, err: err, msg: err.Error()}
}

// api writes problems in the form of a family of routes.
type api interface {
	fail(w http.ResponseWriter, r *http.Request, p *problem)
}

// dataone writes DataONE exceptions with the detail codes of one call.
type dataone struct {
	s    *Server
	call d1Call
}

func (d dataone) fail(w http.ResponseWriter, r *http.Request, p *problem) {
	name := p.d1
	if name == "" {
		name = d1Name(d.call, p.err)
	}
	e := d.call.fail(name, p.pid, p.msg)
	if p.status != 0 {
		e.Status = p.status
	}
	e.write(w, r, d.s.cfg.NodeID)
}

// d1Name is the DataONE exception for a store error in a call: the read calls know NotFound
// (an identifier that cannot exist is not found either: the read calls have no
// InvalidRequest) and ServiceFailure; create knows more.
func d1Name(call d1Call, err error) string {
	create := call[exIdentifierNotUnique] != ""
	switch kind := hashstore.ErrorKind(err); {
	case isNoSpace(err):
		return exInsufficientResources
	case kind == "not_found", kind == "invalid_argument" && !create:
		return exNotFound
	case !create:
		return exServiceFailure
	case kind == "invalid_argument":
		return exInvalidRequest
	case kind == "already_tagged", kind == "pid_tagged_elsewhere", kind == "in_progress":
		return exIdentifierNotUnique
	case kind == "size_mismatch", kind == "checksum_mismatch", kind == "unsupported_algorithm":
		return exInvalidSystemMetadata
	case kind == "read_only":
		return exNotImplemented
	}
	return exServiceFailure
}

// isNoSpace reports a full disk or an exhausted quota.
func isNoSpace(err error) bool {
	return errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT)
}

// native writes wire.ErrorResponse documents.
type native struct{ s *Server }

func (n native) fail(w http.ResponseWriter, r *http.Request, p *problem) {
	body := wire.ErrorResponse{Object: p.object, Info: p.info}
	status := p.status
	if p.err != nil {
		body.Error = wire.FromError(p.err)
		if status == 0 {
			status = wire.Status(body.Error.Kind)
			if isNoSpace(p.err) {
				status = http.StatusInsufficientStorage
			}
		}
	} else {
		body.Error = wire.Error{Kind: p.kind, Message: p.msg}
		if status == 0 {
			status = wire.Status(p.kind)
		}
	}
	if status == 0 {
		status = http.StatusInternalServerError
	}
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="hashstore"`)
	}
	writeJSON(w, r, status, body)
}

// writeJSON sends v as the JSON body of a response with status.
func writeJSON(w http.ResponseWriter, r *http.Request, status int, v any) {
	data, err := json.Marshal(v)
	if err != nil {
		status, data = http.StatusInternalServerError, []byte(`{"error":{"kind":"io","message":"encoding the response failed"}}`)
	}
	data = append(data, '\n')
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(data)))
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		w.Write(data)
	}
}
