//go:build !linux

package main

import (
	"io"
	"net"
)

// discardBody reads and drops n bytes of a response body from conn.
func discardBody(conn net.Conn, n int64) (int64, error) { return io.CopyN(io.Discard, conn, n) }
