package server

import (
	"encoding/xml"
	"net/http"
	"strconv"
	"strings"
)

// d1Error is a DataONE exception: its name, HTTP status (errorCode) and the detail code of
// the call and cause. It is written as the <error> document of the DataONE API, or, for HEAD
// (which has no body), as DataONE-Exception-* headers.
type d1Error struct {
	Name        string // NotFound, ServiceFailure, ...
	Status      int
	Detail      string
	Description string
	PID         string
}

// DataONE exception names.
const (
	exNotFound              = "NotFound"
	exNotAuthorized         = "NotAuthorized"
	exInvalidToken          = "InvalidToken"
	exServiceFailure        = "ServiceFailure"
	exNotImplemented        = "NotImplemented"
	exInvalidRequest        = "InvalidRequest"
	exIdentifierNotUnique   = "IdentifierNotUnique"
	exInvalidSystemMetadata = "InvalidSystemMetadata"
	exInsufficientResources = "InsufficientResources"
	exUnsupportedType       = "UnsupportedType"
)

// statusOf is the HTTP status DataONE gives each exception.
var statusOf = map[string]int{
	exNotFound:              http.StatusNotFound,
	exNotAuthorized:         http.StatusUnauthorized,
	exInvalidToken:          http.StatusUnauthorized,
	exServiceFailure:        http.StatusInternalServerError,
	exNotImplemented:        http.StatusNotImplemented,
	exInvalidRequest:        http.StatusBadRequest,
	exIdentifierNotUnique:   http.StatusConflict,
	exInvalidSystemMetadata: http.StatusBadRequest,
	exInsufficientResources: http.StatusRequestEntityTooLarge,
	exUnsupportedType:       http.StatusBadRequest,
}

// d1Call holds the detail codes one DataONE call uses for each exception it can raise, as
// the Member Node API defines them.
type d1Call map[string]string

// The detail codes of the calls served (MNRead.get, describe, getSystemMetadata, getChecksum,
// listObjects; MNCore.ping; MNStorage.create).
var (
	callGet      = d1Call{exNotAuthorized: "1000", exNotImplemented: "1001", exInsufficientResources: "1002", exInvalidToken: "1010", exNotFound: "1020", exServiceFailure: "1030"}
	callDescribe = d1Call{exNotAuthorized: "1360", exNotImplemented: "1361", exInvalidToken: "1370", exNotFound: "1380", exServiceFailure: "1390"}
	callMeta     = d1Call{exNotAuthorized: "1040", exNotImplemented: "1041", exInvalidToken: "1050", exNotFound: "1060", exServiceFailure: "1090"}
	callChecksum = d1Call{exNotAuthorized: "1400", exNotImplemented: "1401", exInvalidRequest: "1402", exServiceFailure: "1410", exNotFound: "1420", exInvalidToken: "1430"}
	callList     = d1Call{exNotImplemented: "1560", exServiceFailure: "1580"}
	callPing     = d1Call{exNotImplemented: "2041", exServiceFailure: "2042", exInsufficientResources: "2045"}
	callCreate   = d1Call{exNotAuthorized: "1100", exNotImplemented: "1101", exInvalidRequest: "1102", exInvalidToken: "1110",
		exIdentifierNotUnique: "1120", exUnsupportedType: "1140", exInsufficientResources: "1160", exInvalidSystemMetadata: "1180", exServiceFailure: "1190"}
)

// fail builds the call's exception name with a description. A name the call does not define
// becomes its ServiceFailure, so that every answer carries a detail code of the call.
func (c d1Call) fail(name, pid, description string) *d1Error {
	detail, ok := c[name]
	if !ok {
		name, detail = exServiceFailure, c[exServiceFailure]
	}
	return &d1Error{Name: name, Status: statusOf[name], Detail: detail, Description: description, PID: pid}
}

// xmlError is the <error> document. DataONE's examples and clients put it in no namespace.
type xmlError struct {
	XMLName     xml.Name `xml:"error"`
	Name        string   `xml:"name,attr"`
	ErrorCode   int      `xml:"errorCode,attr"`
	DetailCode  string   `xml:"detailCode,attr"`
	Identifier  string   `xml:"identifier,attr,omitempty"`
	NodeID      string   `xml:"nodeId,attr,omitempty"`
	Description string   `xml:"description"`
}

// write sends the exception: as XML, or as headers for HEAD (DataONE's describe has no body).
func (e *d1Error) write(w http.ResponseWriter, r *http.Request, nodeID string) {
	h := w.Header()
	h.Set("Content-Type", "text/xml; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	if e.Status == http.StatusUnauthorized {
		h.Set("WWW-Authenticate", `Bearer realm="hashstore"`)
	}
	if r.Method == http.MethodHead {
		set := func(k, v string) {
			if v != "" {
				h["DataONE-Exception-"+k] = []string{headerValue(v)}
			}
		}
		set("Name", e.Name)
		set("ErrorCode", strconv.Itoa(e.Status))
		set("DetailCode", e.Detail)
		set("Description", e.Description)
		set("Identifier", e.PID)
		set("PID", e.PID)
		set("NodeID", nodeID)
		w.WriteHeader(e.Status)
		return
	}
	body, _ := xml.Marshal(xmlError{Name: e.Name, ErrorCode: e.Status, DetailCode: e.Detail, Identifier: e.PID,
		NodeID: nodeID, Description: e.Description})
	out := append([]byte(xml.Header), body...)
	h.Set("Content-Length", strconv.Itoa(len(out)))
	w.WriteHeader(e.Status)
	w.Write(out)
}

// headerValue makes s fit in one header line: a line break becomes " / ", other control
// characters a space, and the result is cut to 1024 bytes, as DataONE's clients expect.
func headerValue(s string) string {
	var b strings.Builder
	for i := 0; i < len(s) && b.Len() < 1024; i++ {
		switch c := s[i]; {
		case c == '\n':
			b.WriteString(" / ")
		case c < 0x20 || c == 0x7f:
			b.WriteByte(' ')
		default:
			b.WriteByte(c)
		}
	}
	out := b.String()
	if len(out) > 1024 {
		out = strings.ToValidUTF8(out[:1024], "")
	}
	return out
}
