package links_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/hashstore-go/hashstore/hashstore"
	"github.com/hashstore-go/hashstore/links"
)

// BenchmarkLink64MiB compares placing a 64 MiB file by hard link (StoreHardLink) with copying
// it in (StoreObject from the open file). Every iteration gets a fresh source with new content,
// written (and, with sync on, fsynced, as a long-existing file would be) while the timer is
// stopped and hot in the page cache for both; the pid is deleted again, untimed, so the store
// does not grow. Both read the source once and compute the five default digests; only the
// copy writes 64 MiB. With sync on, the copy's fsyncs are included, as in real use.
func BenchmarkLink64MiB(b *testing.B) {
	const size = 64 << 20
	for _, sync := range []bool{false, true} {
		for _, mode := range []string{"StoreHardLink", "StoreObject"} {
			b.Run(fmt.Sprintf("%s/sync=%v", mode, sync), func(b *testing.B) {
				s, err := hashstore.New(filepath.Join(b.TempDir(), "store"), hashstore.DefaultConfig(), hashstore.WithSync(sync))
				if err != nil {
					b.Fatal(err)
				}
				ls, err := links.New(s)
				if err != nil {
					b.Fatal(err)
				}
				data := make([]byte, size)
				for i := range data {
					data[i] = byte(i * 7)
				}
				src := filepath.Join(b.TempDir(), "source")
				b.SetBytes(size)
				b.ReportAllocs()
				i := 0
				for b.Loop() {
					b.StopTimer()
					i++
					data[0], data[1], data[2] = byte(i), byte(i>>8), byte(i>>16)
					writeBenchSource(b, src, data, sync)
					pid := fmt.Sprint("pid-", i)
					b.StartTimer()
					if mode == "StoreHardLink" {
						_, err = ls.StoreHardLink(b.Context(), src, pid)
					} else {
						var f *os.File
						if f, err = os.Open(src); err == nil {
							_, err = ls.StoreObject(b.Context(), f, hashstore.WithPID(pid))
							f.Close()
						}
					}
					b.StopTimer()
					if err != nil {
						b.Fatal(err)
					}
					if err := ls.DeleteObject(b.Context(), pid); err != nil {
						b.Fatal(err)
					}
					b.StartTimer()
				}
			})
		}
	}
}

func writeBenchSource(b *testing.B, p string, data []byte, sync bool) {
	b.Helper()
	os.Remove(p)
	f, err := os.Create(p)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := f.Write(data); err != nil {
		b.Fatal(err)
	}
	if sync {
		if err := f.Sync(); err != nil {
			b.Fatal(err)
		}
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
}
