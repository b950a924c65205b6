package server

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// heldUpload starts a native PUT whose body the test controls, and returns the pipe to feed
// it and a channel with the final status (or -1 when the request failed).
func (f *fixture) heldUpload(pid string) (*io.PipeWriter, <-chan int) {
	f.t.Helper()
	pr, pw := io.Pipe()
	f.t.Cleanup(func() { pw.Close() }) // before the server's Close, which waits for the handler
	req, err := http.NewRequest(http.MethodPut, f.ts.URL+"/hs/v1/object/"+pid, pr)
	require.NoError(f.t, err)
	req.Header.Set("Authorization", "Bearer "+testToken)
	status := make(chan int, 1)
	go func() {
		resp, err := f.ts.Client().Do(req)
		if err != nil {
			status <- -1
			return
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		status <- resp.StatusCode
	}()
	return pw, status
}

// stalledRead sends a GET on a raw connection and never reads the answer, so the server's
// writes block once the socket buffers are full.
func (f *fixture) stalledRead(path string) net.Conn {
	f.t.Helper()
	conn, err := net.Dial("tcp", f.ts.Listener.Addr().String())
	require.NoError(f.t, err)
	fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: x\r\n\r\n", path)
	f.t.Cleanup(func() { conn.Close() })
	return conn
}

// TestWritePoolFull: with one write slot taken, another write waits QueueTimeout and gets 503
// with Retry-After, in the form of its route; reads are not affected. Once the slot is free,
// writes go through again.
func TestWritePoolFull(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.MaxWrites = 1; c.QueueTimeout = 200 * time.Millisecond })
	f.put("r.1", []byte("readable"), true)
	pw, first := f.heldUpload("held.1")
	_, err := pw.Write([]byte("some bytes"))
	require.NoError(t, err)
	require.Eventually(t, func() bool { return f.metric("inflight", "write") == 1 }, 5*time.Second, time.Millisecond)

	start := time.Now()
	resp, body := f.do(http.MethodPut, "/hs/v1/object/p.2", strings.NewReader("x"), "Authorization", "Bearer "+testToken)
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	assert.GreaterOrEqual(t, time.Since(start), 200*time.Millisecond, "it waited for a slot first")
	assert.Equal(t, "1", resp.Header.Get("Retry-After"))
	assert.Contains(t, string(body), `"kind":"busy"`)
	c, ct := createBody(t, false, part{name: "object", data: []byte("x")})
	resp, body = f.do(http.MethodPost, "/mn/v2/object", c, "Content-Type", ct, "Authorization", "Bearer "+testToken)
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	assert.Equal(t, exServiceFailure, d1Err(t, resp, body).Name)
	assert.Equal(t, 2.0, f.metric("rejected", "write", rejectQueueTimeout))

	resp, body = f.do(http.MethodGet, "/mn/v2/object/r.1", nil)
	assert.Equal(t, http.StatusOK, resp.StatusCode, "reads have their own pool")
	assert.Equal(t, "readable", string(body))

	require.NoError(t, pw.Close())
	assert.Equal(t, http.StatusCreated, <-first)
	resp, _ = f.do(http.MethodPut, "/hs/v1/object/p.2", strings.NewReader("x"), "Authorization", "Bearer "+testToken)
	assert.Equal(t, http.StatusCreated, resp.StatusCode)
}

// TestQueueFull: with no room to wait (MaxQueue 0), the refusal is immediate.
func TestQueueFull(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.MaxWrites = 1; c.MaxQueue = 0; c.QueueTimeout = time.Hour })
	pw, first := f.heldUpload("held.1")
	require.Eventually(t, func() bool { return f.metric("inflight", "write") == 1 }, 5*time.Second, time.Millisecond)
	resp, _ := f.do(http.MethodPut, "/hs/v1/object/p.2", strings.NewReader("x"), "Authorization", "Bearer "+testToken)
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	assert.Equal(t, 1.0, f.metric("rejected", "write", rejectQueueFull))
	pw.Close()
	<-first
}

// TestStalledDownloadIsDropped: a client that stops reading holds a read slot only until the
// idle timeout; then the server gives up on it, and the slot and the buffer come back. While
// it is held, other reads wait and get 503; describe (no pool) still answers.
func TestStalledDownloadIsDropped(t *testing.T) {
	for _, verify := range []VerifyMode{VerifyFull, VerifyOff} {
		t.Run(string(verify), func(t *testing.T) {
			f := newFixture(t, func(c *Config) {
				c.MaxReads, c.QueueTimeout, c.IdleTimeout, c.Verify, c.BufferSize = 1, 100*time.Millisecond, 500*time.Millisecond, verify, 64<<10
			})
			f.put("big.1", pseudoRandom(1, 48<<20), true)
			f.put("small.1", []byte("small"), true)
			f.stalledRead("/mn/v2/object/big.1")
			require.Eventually(t, func() bool { return f.metric("inflight", "read") == 1 }, 5*time.Second, time.Millisecond)
			resp, _ := f.do(http.MethodGet, "/mn/v2/object/small.1", nil)
			assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
			resp, _ = f.do(http.MethodHead, "/mn/v2/object/small.1", nil)
			assert.Equal(t, http.StatusOK, resp.StatusCode)
			require.Eventually(t, func() bool { return f.metric("inflight", "read") == 0 }, 10*time.Second, 10*time.Millisecond,
				"the stalled transfer is dropped")
			assert.Zero(t, f.metric("buffers"))
			resp, body := f.do(http.MethodGet, "/mn/v2/object/small.1", nil)
			assert.Equal(t, http.StatusOK, resp.StatusCode)
			assert.Equal(t, "small", string(body))
		})
	}
}

// TestStalledDownloadAfterAnotherRequestIsDropped: a download that stalls right after a small
// request on the same keep-alive connection is dropped all the same. (net/http clears the
// write deadline after each response, so every request sets its own: a deadline shared by a
// connection's requests fails this test.)
func TestStalledDownloadAfterAnotherRequestIsDropped(t *testing.T) {
	f := newFixture(t, func(c *Config) {
		c.MaxReads, c.IdleTimeout, c.BufferSize = 1, 500*time.Millisecond, 64<<10
	})
	f.put("big.1", pseudoRandom(4, 48<<20), true)
	f.put("small.1", []byte("small"), true)
	conn, err := net.Dial("tcp", f.ts.Listener.Addr().String())
	require.NoError(t, err)
	defer conn.Close()
	br := bufio.NewReader(conn)
	fmt.Fprintf(conn, "GET /mn/v2/object/small.1 HTTP/1.1\r\nHost: x\r\n\r\n")
	resp, err := http.ReadResponse(br, nil)
	require.NoError(t, err)
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, "small", string(body))
	fmt.Fprintf(conn, "GET /mn/v2/object/big.1 HTTP/1.1\r\nHost: x\r\n\r\n") // and never read
	require.Eventually(t, func() bool { return f.metric("inflight", "read") == 1 }, 5*time.Second, time.Millisecond)
	require.Eventually(t, func() bool { return f.metric("inflight", "read") == 0 }, 10*time.Second, 10*time.Millisecond,
		"the stalled transfer is dropped")
}

// TestSlowTransfersThatProgressSurvive: a download and an upload lasting several idle
// timeouts, at a slow but steady pace, complete.
func TestSlowTransfersThatProgressSurvive(t *testing.T) {
	const idle = time.Second
	for _, verify := range []VerifyMode{VerifyFull, VerifyOff} {
		t.Run(string(verify), func(t *testing.T) {
			f := newFixture(t, func(c *Config) { c.IdleTimeout, c.Verify, c.BufferSize = idle, verify, 64<<10 })
			data := pseudoRandom(2, 24<<20)
			f.put("slow.1", data, true)
			resp, err := f.ts.Client().Get(f.ts.URL + "/mn/v2/object/slow.1")
			require.NoError(t, err)
			var got []byte
			buf := make([]byte, 256<<10)
			start := time.Now()
			for {
				time.Sleep(20 * time.Millisecond) // ~12 MB/s: 512 KiB well within an idle timeout
				n, err := io.ReadFull(resp.Body, buf)
				got = append(got, buf[:n]...)
				if err != nil {
					break
				}
			}
			resp.Body.Close()
			assert.Greater(t, time.Since(start), 3*idle/2, "the transfer outlasted the idle timeout")
			assert.Equal(t, len(data), len(got))
			assert.Equal(t, sha256Hex(data), sha256Hex(got))
		})
	}
	f := newFixture(t, func(c *Config) { c.IdleTimeout = idle })
	pw, status := f.heldUpload("slowup.1")
	start := time.Now()
	for time.Since(start) < 4*idle {
		_, err := pw.Write(pseudoRandom(3, 4096))
		require.NoError(t, err)
		time.Sleep(idle / 4)
	}
	pw.Close()
	assert.Equal(t, http.StatusCreated, <-status)
}

// TestStalledUploadIsDropped: an upload whose client stops sending is dropped after the idle
// timeout and leaves nothing behind.
func TestStalledUploadIsDropped(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.IdleTimeout = 300 * time.Millisecond })
	pw, status := f.heldUpload("stall.1")
	_, err := pw.Write(pseudoRandom(1, 3<<20))
	require.NoError(t, err)
	// send nothing more
	require.Eventually(t, func() bool { return f.metric("inflight", "write") == 0 }, 10*time.Second, 10*time.Millisecond)
	assert.NotEqual(t, http.StatusCreated, <-statusOrTimeout(status))
	pw.Close()
	f.requireNothingLeft("stalled upload")
}

func statusOrTimeout(c <-chan int) <-chan int {
	out := make(chan int, 1)
	go func() {
		select {
		case s := <-c:
			out <- s
		case <-time.After(10 * time.Second):
			out <- 0
		}
	}()
	return out
}

// TestTenTimesTheConcurrency: 10x as many simultaneous reads as slots get only 200s and 503s,
// some of each, and every slot and buffer comes back.
func TestTenTimesTheConcurrency(t *testing.T) {
	f := newFixture(t, func(c *Config) {
		c.MaxReads, c.MaxQueue, c.QueueTimeout, c.BufferSize = 4, 8, 50*time.Millisecond, 64<<10
	})
	data := pseudoRandom(1, 4<<20)
	f.put("hot.1", data, true)
	codes := map[int]int{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, body, err := f.getAll("/mn/v2/object/hot.1")
			assert.NoError(t, err)
			if resp.StatusCode == http.StatusOK {
				assert.Equal(t, len(data), len(body))
			}
			mu.Lock()
			codes[resp.StatusCode]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	assert.Equal(t, 40, codes[200]+codes[503], "%v", codes)
	assert.GreaterOrEqual(t, codes[200], 4, "%v", codes)
	assert.Positive(t, codes[503], "%v", codes)
	assert.Zero(t, f.metric("inflight", "read"))
	assert.Zero(t, f.metric("buffers"))
	assert.LessOrEqual(t, float64(len(f.srv.bufs.free)), float64(4), "no more buffers than read slots were kept")
}

// TestNoLeaks: many concurrent mixed reads and writes through small pools all finish, and
// afterwards no slot, buffer or goroutine is left behind.
func TestNoLeaks(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.MaxReads, c.MaxWrites, c.QueueTimeout = 2, 1, 5*time.Second })
	for i := range 5 {
		f.put(fmt.Sprintf("o.%d", i), pseudoRandom(byte(i), 200000), true)
	}
	base := runtime.NumGoroutine()
	var wg sync.WaitGroup
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if i%4 == 0 {
				resp, _ := f.do(http.MethodPut, fmt.Sprintf("/hs/v1/object/w.%d", i), strings.NewReader(strings.Repeat("w", 100000+i)),
					"Authorization", "Bearer "+testToken)
				assert.Equal(t, http.StatusCreated, resp.StatusCode)
				return
			}
			resp, _, err := f.getAll(fmt.Sprintf("/mn/v2/object/o.%d", i%5))
			assert.NoError(t, err)
			assert.Equal(t, http.StatusOK, resp.StatusCode)
		}()
	}
	wg.Wait()
	assert.Zero(t, f.metric("inflight", "read"))
	assert.Zero(t, f.metric("inflight", "write"))
	assert.Zero(t, f.metric("buffers"))
	f.ts.CloseClientConnections()
	f.ts.Client().CloseIdleConnections()
	assert.Eventually(t, func() bool { return runtime.NumGoroutine() <= base+2 }, 5*time.Second, 10*time.Millisecond,
		"goroutines: %d, before %d", runtime.NumGoroutine(), base)
}

// TestGracefulShutdown: when Serve's context ends, an upload in flight still completes (within
// the grace period), new connections are refused, and Serve returns.
func TestGracefulShutdown(t *testing.T) {
	f := newFixture(t, nil)
	srv := f.srv
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, ln, "", "") }()
	url := "http://" + ln.Addr().String()

	pr, pw := io.Pipe()
	req, _ := http.NewRequest(http.MethodPut, url+"/hs/v1/object/inflight.1", pr)
	req.Header.Set("Authorization", "Bearer "+testToken)
	status := make(chan int, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			status <- -1
			return
		}
		resp.Body.Close()
		status <- resp.StatusCode
	}()
	pw.Write([]byte("first half "))
	require.Eventually(t, func() bool { return f.metric("inflight", "write") == 1 }, 5*time.Second, time.Millisecond)
	cancel()
	require.Eventually(t, func() bool {
		_, err := net.Dial("tcp", ln.Addr().String())
		return err != nil
	}, 5*time.Second, 10*time.Millisecond, "the listener is closed")
	resp, _ := f.do(http.MethodGet, "/readyz", nil)
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode, "draining")
	pw.Write([]byte("second half"))
	pw.Close()
	assert.Equal(t, http.StatusCreated, <-status, "the in-flight upload completed")
	require.NoError(t, <-served)
	info, err := f.store.FindObject(t.Context(), "inflight.1")
	require.NoError(t, err)
	assert.Equal(t, sha256Hex([]byte("first half second half")), info.CID)
}

// TestShutdownGraceRunsOut: an upload that does not finish within the grace period is cut,
// and leaves nothing behind once Serve has returned.
func TestShutdownGraceRunsOut(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.ShutdownGrace = 200 * time.Millisecond })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- f.srv.Serve(ctx, ln, "", "") }()
	conn, err := net.Dial("tcp", ln.Addr().String())
	require.NoError(t, err)
	defer conn.Close()
	fmt.Fprintf(conn, "PUT /hs/v1/object/cut.1 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Length: 10000000\r\n\r\n", testToken)
	conn.Write(pseudoRandom(1, 3<<20))
	require.Eventually(t, func() bool { return len(f.storeFiles()) > 0 }, 5*time.Second, time.Millisecond)
	cancel()
	select {
	case err := <-served:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return")
	}
	f.requireNothingLeft("upload cut by the shutdown")
	line, _ := bufio.NewReader(conn).ReadString('\n')
	assert.NotContains(t, line, "201")
}

// TestMetricsAndAccessLog: /metrics exposes the request, pool and runtime metrics; each
// request has an access log line.
func TestMetricsAndAccessLog(t *testing.T) {
	f := newFixture(t, nil)
	f.put("m.1", []byte("metric me"), true)
	f.do(http.MethodGet, "/mn/v2/object/m.1", nil)
	f.do(http.MethodGet, "/mn/v2/object/nope", nil, "X-Request-Id", "trace-123")
	resp, body := f.do(http.MethodGet, "/metrics", nil)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	for _, want := range []string{
		`hashstore_http_requests_total{code="200",method="GET",route="get"} 1`,
		`hashstore_http_requests_total{code="404",method="GET",route="get"} 1`,
		`hashstore_http_bytes_total{direction="out",route="get"}`,
		`hashstore_http_request_duration_seconds_bucket{method="GET",route="get"`,
		`hashstore_http_pool_wait_seconds_count{pool="read"} 2`,
		`hashstore_verify_bytes_total 9`,
		`hashstore_buffer_pool_max_buffers 64`,
		"go_goroutines", "process_resident_memory_bytes",
	} {
		assert.Contains(t, string(body), want)
	}
	logs := f.logs.String()
	assert.Contains(t, logs, "msg=request id=trace-123 remote=127.0.0.1:")
	assert.Contains(t, logs, "method=GET path=/mn/v2/object/nope route=get status=404")
}

// TestPool checks the pool alone: slots, waiting, giving up, and the context.
func TestPool(t *testing.T) {
	m := newMetrics()
	p := newPool("test", 1, 1, 50*time.Millisecond, m)
	release, reason := p.acquire(context.Background())
	require.NotNil(t, release)
	assert.Empty(t, reason)
	done := make(chan string)
	go func() {
		r, why := p.acquire(context.Background())
		if r != nil {
			r()
		}
		done <- why
	}()
	assert.Equal(t, rejectQueueTimeout, <-done)
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		_, why := p.acquire(ctx)
		done <- why
	}()
	time.Sleep(10 * time.Millisecond)
	_, why := p.acquire(context.Background())
	assert.Equal(t, rejectQueueFull, why, "one waiter is the most")
	cancel()
	assert.Equal(t, "canceled", <-done)
	release()
	r, why := p.acquire(context.Background())
	require.NotNil(t, r, why)
	r()
}

// TestTLS: with a certificate and key, Serve speaks HTTPS.
func TestTLS(t *testing.T) {
	f := newFixture(t, nil)
	f.put("tls.1", []byte("over tls"), true)
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	pool := writeSelfSigned(t, certFile, keyFile)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- f.srv.Serve(ctx, ln, certFile, keyFile) }()
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, ForceAttemptHTTP2: true}}
	resp, err := hc.Get("https://" + ln.Addr().String() + "/mn/v2/object/tls.1")
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "over tls", string(body))
	assert.Equal(t, 2, resp.ProtoMajor, "HTTP/2 over TLS")
	hc.CloseIdleConnections()
	cancel()
	require.NoError(t, <-served)
}

// writeSelfSigned writes a self-signed certificate for 127.0.0.1 and its key, and returns a
// pool that trusts it.
func writeSelfSigned(t *testing.T, certFile, keyFile string) *x509.CertPool {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	kder, err := x509.MarshalECPrivateKey(key)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600))
	require.NoError(t, os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600))
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return pool
}
