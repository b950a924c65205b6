package hashstore_test

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/hashstore-go/hashstore/hashstore"
)

// benchStore makes a store in a fresh temp directory on the OS filesystem, with fsync off
// unless sync is set.
func benchStore(b *testing.B, sync bool) *hashstore.FileHashStore {
	b.Helper()
	s, err := hashstore.New(filepath.Join(b.TempDir(), "store"), hashstore.DefaultConfig(), hashstore.WithSync(sync))
	if err != nil {
		b.Fatal(err)
	}
	return s
}

func randomBytes(b *testing.B, n int) []byte {
	buf := make([]byte, n)
	rand.Read(buf)
	return buf
}

// BenchmarkStoreObject stores one object of each size per iteration (fresh content each time,
// so every iteration writes a new object), fsync off and on.
func BenchmarkStoreObject(b *testing.B) {
	for _, size := range []int{1 << 20, 64 << 20, 1 << 30} {
		for _, sync := range []bool{false, true} {
			b.Run(fmt.Sprintf("%dMiB/sync=%v", size>>20, sync), func(b *testing.B) {
				if size >= 1<<30 && testing.Short() {
					b.Skip("1 GiB skipped in -short")
				}
				s := benchStore(b, sync)
				data := randomBytes(b, size)
				b.SetBytes(int64(size))
				b.ReportAllocs()
				i := 0
				for b.Loop() {
					i++
					data[0], data[1], data[2] = byte(i), byte(i>>8), byte(i>>16) // new content, new cid
					if _, err := s.StoreObject(b.Context(), bytes.NewReader(data), hashstore.WithPID(fmt.Sprint("pid-", i))); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkSmallObjects stores 4 KiB objects, each with a sysmeta document, fsync off, from
// one goroutine and from two.
func BenchmarkSmallObjects(b *testing.B) {
	sysmeta := randomBytes(b, 1500)
	for _, workers := range []int{1, 2} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			s := benchStore(b, false)
			var next atomic.Int64
			b.ReportAllocs()
			b.SetBytes(4096)
			for b.Loop() {
				// Each iteration stores `workers` objects concurrently; objects/s is
				// workers / (ns/op).
				var wg sync.WaitGroup
				for w := 0; w < workers; w++ {
					wg.Add(1)
					go func() {
						defer wg.Done()
						n := next.Add(1)
						data := make([]byte, 4096)
						copy(data, fmt.Sprint("object ", n))
						pid := fmt.Sprint("urn:bench:", n)
						if _, err := s.StoreObject(b.Context(), bytes.NewReader(data), hashstore.WithPID(pid)); err != nil {
							b.Error(err)
						}
						if _, err := s.StoreMetadata(b.Context(), pid, bytes.NewReader(sysmeta)); err != nil {
							b.Error(err)
						}
					}()
				}
				wg.Wait()
			}
			b.ReportMetric(float64(workers)*float64(b.N)/b.Elapsed().Seconds(), "objects/s")
		})
	}
}

// BenchmarkRetrieveObject reads back a small object and a large one through RetrieveObject.
func BenchmarkRetrieveObject(b *testing.B) {
	for _, size := range []int{4096, 256 << 20} {
		b.Run(fmt.Sprintf("%dKiB", size>>10), func(b *testing.B) {
			s := benchStore(b, false)
			data := randomBytes(b, size)
			if _, err := s.StoreObject(b.Context(), bytes.NewReader(data), hashstore.WithPID("p")); err != nil {
				b.Fatal(err)
			}
			buf := make([]byte, 1<<20)
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for b.Loop() {
				r, err := s.RetrieveObject(b.Context(), "p")
				if err != nil {
					b.Fatal(err)
				}
				if _, err := io.CopyBuffer(io.Discard, struct{ io.Reader }{r}, buf); err != nil {
					b.Fatal(err)
				}
				r.Close()
			}
			if size == 4096 {
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "objects/s")
			}
		})
	}
}

var _ = os.Getpid
