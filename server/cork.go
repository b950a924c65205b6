package server

import (
	"context"
	"net"
	"net/http"
)

// Corking. net/http writes a response through a 4 KiB buffer, so a response of a few
// kilobytes leaves in two writes, and the client (and, on loopback, the kernel's receive
// path on this core) handles two packets: for small objects that was a tenth of a request's
// cost. A small object's response is therefore corked (TCP_CORK, Linux): the kernel holds
// its packets until the connection is uncorked, which connState does as soon as net/http has
// flushed the whole response (the connection turns idle) or closes it, so headers and body
// leave together. nginx does the same with tcp_nopush.

// connKey is the context key under which Serve keeps each request's connection.
type connKey struct{}

func withConn(ctx context.Context, c net.Conn) context.Context {
	return context.WithValue(ctx, connKey{}, c)
}

// corkResponse corks the connection of a plain HTTP/1 request until its response is
// complete. Without a connection to cork (a request not from Serve, TLS, HTTP/2, another
// OS) it does nothing.
func (s *Server) corkResponse(r *http.Request) {
	c, ok := r.Context().Value(connKey{}).(net.Conn)
	if !ok || r.TLS != nil || r.ProtoMajor != 1 {
		return
	}
	if setCork(c, true) {
		s.corked.Store(c, struct{}{})
	}
}

// connState uncorks a corked connection once its response is out: net/http reports a
// connection idle after it has flushed the response.
func (s *Server) connState(c net.Conn, st http.ConnState) {
	switch st {
	case http.StateIdle:
		if _, ok := s.corked.LoadAndDelete(c); ok {
			setCork(c, false)
		}
	case http.StateClosed, http.StateHijacked:
		s.corked.Delete(c)
	}
}
