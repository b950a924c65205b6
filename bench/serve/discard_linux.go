package main

import (
	"errors"
	"io"
	"net"
	"syscall"
)

// discardBody drops n bytes of a response body from conn in the kernel: recv with MSG_TRUNC
// on a TCP socket consumes the data without copying it to the process. On this two-core
// machine the client shares a core with the server; a client that copies every byte takes
// about as much of that core as the server's sending does, and hides what the server can do.
func discardBody(conn net.Conn, n int64) (int64, error) {
	tc, ok := conn.(*net.TCPConn)
	if !ok {
		return io.CopyN(io.Discard, conn, n)
	}
	raw, err := tc.SyscallConn()
	if err != nil {
		return 0, err
	}
	buf := make([]byte, 1<<20) // a length for the kernel: MSG_TRUNC never writes it
	var got int64
	for got < n {
		var k int
		var rerr error
		err := raw.Read(func(fd uintptr) bool {
			k, _, rerr = syscall.Recvfrom(int(fd), buf[:min(int64(len(buf)), n-got)], syscall.MSG_TRUNC)
			return !errors.Is(rerr, syscall.EAGAIN)
		})
		if err == nil {
			err = rerr
		}
		if err != nil {
			return got, err
		}
		if k == 0 {
			return got, io.ErrUnexpectedEOF
		}
		got += int64(k)
	}
	return got, nil
}
