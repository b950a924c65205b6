//go:build linux

package server

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// corkOf reads TCP_CORK of a connection.
func corkOf(t *testing.T, c net.Conn) int {
	t.Helper()
	raw, err := c.(*net.TCPConn).SyscallConn()
	require.NoError(t, err)
	var v int
	var gerr error
	require.NoError(t, raw.Control(func(fd uintptr) { v, gerr = unix.GetsockoptInt(int(fd), unix.IPPROTO_TCP, unix.TCP_CORK) }))
	require.NoError(t, gerr)
	return v
}

// TestCorkedUntilTheResponseIsComplete: a small object's response corks its connection, and
// the connection is uncorked, sending what it held, once net/http reports it idle.
func TestCorkedUntilTheResponseIsComplete(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	client, err := net.Dial("tcp", ln.Addr().String())
	require.NoError(t, err)
	defer client.Close()
	conn, err := ln.Accept()
	require.NoError(t, err)
	defer conn.Close()

	s := &Server{}
	r := httptest.NewRequest(http.MethodGet, "/mn/v2/object/p", nil).WithContext(withConn(context.Background(), conn))
	s.corkResponse(r)
	assert.Equal(t, 1, corkOf(t, conn))
	_, err = conn.Write([]byte("response"))
	require.NoError(t, err)
	s.connState(conn, http.StateIdle)
	assert.Equal(t, 0, corkOf(t, conn))
	_, held := s.corked.Load(conn)
	assert.False(t, held)
	require.NoError(t, client.SetReadDeadline(time.Now().Add(5*time.Second)))
	got := make([]byte, len("response"))
	_, err = io.ReadFull(client, got)
	require.NoError(t, err)
	assert.Equal(t, "response", string(got))

	tlsReq := r.Clone(r.Context())
	tlsReq.ProtoMajor = 2
	s.corkResponse(tlsReq)
	assert.Equal(t, 0, corkOf(t, conn), "HTTP/2 responses are not corked")
}

// TestServedSmallObjectsLeaveNoCork: through Serve, on one keep-alive connection, each small
// object's response (headers and 4 KiB, more than net/http's 4 KiB write buffer) reaches the
// client as one TCP segment, not two, the objects come back whole, and no connection stays
// corked: through net/http (corked), through the fast path (one write), and through net/http
// on a connection the fast path handed over (its first request has a header the fast path
// leaves to net/http; corking reaches the TCP connection under the wrapper).
func TestServedSmallObjectsLeaveNoCork(t *testing.T) {
	for _, mode := range []string{"net/http", "fast path", "handed over"} {
		t.Run(mode, func(t *testing.T) { testServedSmallObjectsLeaveNoCork(t, mode) })
	}
}

func testServedSmallObjectsLeaveNoCork(t *testing.T, mode string) {
	f := newFixture(t, func(c *Config) { c.FastPath = mode != "net/http" })
	data := bytes.Repeat([]byte("4k"), 2048)
	f.put("small.1", data, true)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- f.srv.Serve(ctx, ln, "", "") }()
	defer func() { cancel(); <-done }()

	conn, err := net.Dial("tcp", ln.Addr().String())
	require.NoError(t, err)
	defer conn.Close()
	br := bufio.NewReader(conn)
	const n = 5
	for i := range n {
		extra := ""
		if mode == "handed over" && i == 0 {
			extra = "Accept-Language: en\r\n"
		}
		_, err := io.WriteString(conn, "GET /mn/v2/object/small.1 HTTP/1.1\r\nHost: x\r\n"+extra+"\r\n")
		require.NoError(t, err)
		resp, err := http.ReadResponse(br, nil)
		require.NoError(t, err)
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, resp.StatusCode)
		require.Equal(t, data, body)
	}
	raw, err := conn.(*net.TCPConn).SyscallConn()
	require.NoError(t, err)
	var info *unix.TCPInfo
	var gerr error
	require.NoError(t, raw.Control(func(fd uintptr) { info, gerr = unix.GetsockoptTCPInfo(int(fd), unix.IPPROTO_TCP, unix.TCP_INFO) }))
	require.NoError(t, gerr)
	assert.EqualValues(t, n, info.Data_segs_in, "data segments received for %d responses", n)
	answered := map[string]int{"net/http": 0, "fast path": n, "handed over": 0}[mode]
	assert.EqualValues(t, answered, value(f.srv.metrics.fastAnswered))

	assert.Eventually(t, func() bool {
		k := 0
		f.srv.corked.Range(func(any, any) bool { k++; return true })
		return k == 0
	}, 5*time.Second, 10*time.Millisecond, "a connection stayed corked")
}
