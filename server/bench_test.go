package server

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/hashstore-go/hashstore/hashstore"
	"github.com/hashstore-go/hashstore/server/servertest"
)

// discardWriter is a ResponseWriter that keeps nothing, so that a benchmark measures the
// handler and not a recorder.
type discardWriter struct{ h http.Header }

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w *discardWriter) WriteHeader(int)             {}

// BenchmarkSmallGet measures the server's own cost of a verified GET of a 4 KiB object that
// the caches know (net/http's parsing and the socket excluded): what bench/serve.sh's small
// objects figure pays on top of net/http.
func BenchmarkSmallGet(b *testing.B) {
	st, err := hashstore.New(filepath.Join(b.TempDir(), "store"), hashstore.DefaultConfig())
	if err != nil {
		b.Fatal(err)
	}
	const n = 64
	for i := range n {
		pid := fmt.Sprintf("small.%d", i)
		data := bytes.Repeat([]byte{byte(i)}, 4096)
		if _, err := st.StoreObject(context.Background(), bytes.NewReader(data), hashstore.WithPID(pid)); err != nil {
			b.Fatal(err)
		}
		if _, err := st.StoreMetadata(context.Background(), pid, bytes.NewReader(servertest.Sysmeta(pid, data, true))); err != nil {
			b.Fatal(err)
		}
	}
	srv, err := New(st, DefaultConfig())
	if err != nil {
		b.Fatal(err)
	}
	reqs := make([]*http.Request, n)
	for i := range reqs {
		reqs[i] = httptest.NewRequest(http.MethodGet, fmt.Sprintf("/mn/v2/object/small.%d", i), nil)
		for range 2 { // the second read puts the pid in the caches
			srv.ServeHTTP(&discardWriter{h: http.Header{}}, reqs[i])
		}
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		srv.ServeHTTP(&discardWriter{h: http.Header{}}, reqs[i%n])
		i++
	}
}
