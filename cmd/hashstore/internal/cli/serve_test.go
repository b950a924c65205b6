package cli

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// lockedWriter is stderr shared with a running serve.
type lockedWriter struct {
	mu sync.Mutex
	b  strings.Builder
}

func (w *lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func (w *lockedWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

// startServe runs "serve" in-process on a free port until the returned stop function is
// called; stop returns the exit status.
func startServe(t *testing.T, args ...string) (url string, stderr *lockedWriter, stop func() int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stderr = &lockedWriter{}
	done := make(chan int, 1)
	go func() {
		done <- Run(ctx, append(args, "serve", "--listen", "127.0.0.1:0"), strings.NewReader(""), io.Discard, stderr)
	}()
	re := regexp.MustCompile(`serving .* on (http://127\.0\.0\.1:\d+)`)
	require.Eventually(t, func() bool {
		if m := re.FindStringSubmatch(stderr.String()); m != nil {
			url = m[1]
			return true
		}
		return false
	}, 20*time.Second, 5*time.Millisecond, "serve starts: %s", stderr)
	var once sync.Once
	status := -1
	stop = func() int {
		once.Do(func() {
			cancel()
			select {
			case status = <-done:
			case <-time.After(30 * time.Second):
				t.Fatal("serve did not stop")
			}
		})
		return status
	}
	t.Cleanup(func() { stop() })
	return url, stderr, stop
}

// TestServe runs the command in-process: it serves the store with the token from the file,
// logs each request at info level by default (never the token), and exits 0 when its context
// ends (what SIGTERM does through Main).
func TestServe(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "store")
	ok(t, nil, "--store", dir, "init", "-q")
	tok := filepath.Join(t.TempDir(), "token")
	require.NoError(t, os.WriteFile(tok, []byte("  tok-123\nignored second line\n"), 0o600))
	url, stderr, stop := startServe(t, "--store", dir, "--write-token-file", tok, "--base", "/knb/mn/")

	req, _ := http.NewRequest(http.MethodPut, url+"/hs/v1/object/"+jtaoPID, strings.NewReader(string(readFile(t, jtaoFile))))
	req.Header.Set("Authorization", "Bearer tok-123")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusCreated, resp.StatusCode)
	req, _ = http.NewRequest(http.MethodPut, url+"/hs/v1/metadata/"+jtaoPID, strings.NewReader(string(readFile(t, jtaoSysFile))))
	req.Header.Set("Authorization", "Bearer tok-123")
	resp, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusCreated, resp.StatusCode)

	resp, err = http.Get(url + "/knb/mn/v2/object/" + jtaoPID)
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, readFile(t, jtaoFile), body)

	req, _ = http.NewRequest(http.MethodPut, url+"/hs/v1/object/other", strings.NewReader("x"))
	req.Header.Set("Authorization", "Bearer tok-12")
	resp, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)

	assert.Equal(t, ExitOK, stop())
	logs := stderr.String()
	assert.Contains(t, logs, "level=INFO msg=request")
	assert.Contains(t, logs, "path=/knb/mn/v2/object/jtao.1700.1 route=get status=200")
	assert.Contains(t, logs, "msg=\"shutting down\"")
	assert.NotContains(t, logs, "tok-12", "the token is never logged")
}

// TestServeWithoutToken: without a token file the store is opened read-only (nothing is
// created in it) and every write is refused.
func TestServeWithoutToken(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "store")
	ok(t, nil, "--store", dir, "init", "-q")
	require.NoError(t, os.RemoveAll(filepath.Join(dir, "locks")))
	url, _, stop := startServe(t, "--store", dir, "--log-level", "warn")
	resp, err := http.Post(url+"/hs/v1/object", "application/octet-stream", strings.NewReader("x"))
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode)
	resp, err = http.Post(url+"/mn/v2/object", "multipart/form-data; boundary=x", strings.NewReader("--x--"))
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusNotImplemented, resp.StatusCode)
	assert.Equal(t, ExitOK, stop())
	assert.NoDirExists(t, filepath.Join(dir, "locks"), "a read-only store creates nothing")
}

// TestServeFlags: what the command refuses before serving.
func TestServeFlags(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "store")
	ok(t, nil, "--store", dir, "init", "-q")
	empty := filepath.Join(t.TempDir(), "empty")
	require.NoError(t, os.WriteFile(empty, []byte("\n"), 0o600))
	for _, c := range []struct {
		code int
		kind string
		args []string
	}{
		{ExitUsage, "usage", []string{"serve", "--tls-cert", "c.pem"}},
		{ExitUsage, "usage", []string{"serve", "--max-memory", "1MiB"}},
		{ExitUsage, "usage", []string{"serve", "--verify", "sometimes"}},
		{ExitUsage, "usage", []string{"serve", "--read-access", "friends"}},
		{ExitUsage, "usage", []string{"serve", "--base", "mn"}},
		{ExitFailure, "io", []string{"serve", "--write-token-file", empty}},
		{ExitFailure, "not_found", []string{"serve", "--write-token-file", filepath.Join(t.TempDir(), "none")}},
		{ExitFailure, "io", []string{"serve", "--listen", "256.0.0.1:1"}},
	} {
		fails(t, c.code, c.kind, nil, append([]string{"--store", dir}, c.args...)...)
	}
}
