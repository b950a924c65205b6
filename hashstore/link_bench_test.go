package hashstore_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/hashstore-go/hashstore/hashstore"
)

// BenchmarkStoreFile64MiB compares placing a 64 MiB file by hard link (StoreFile with
// LinkFile) with copying it in (StoreFile with CopyFile, and StoreObject from the open file).
// Every iteration gets a fresh file with new content, written (and, with sync on, fsynced, as
// a long-existing file would be) while the timer is stopped and hot in the page cache for all
// three; the pid is deleted again, untimed, so the store does not grow. All read the file
// once and compute the five default digests; only the copies write 64 MiB. With sync on, the
// copies' fsyncs are included, as in real use.
func BenchmarkStoreFile64MiB(b *testing.B) {
	const size = 64 << 20
	for _, sync := range []bool{false, true} {
		for _, mode := range []string{"LinkFile", "CopyFile", "StoreObject"} {
			b.Run(fmt.Sprintf("%s/sync=%v", mode, sync), func(b *testing.B) {
				s := benchStore(b, sync)
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
					var err error
					switch mode {
					case "LinkFile":
						_, _, err = s.StoreFile(b.Context(), src, hashstore.WithLink(hashstore.LinkFile), hashstore.WithPID(pid))
					case "CopyFile":
						_, _, err = s.StoreFile(b.Context(), src, hashstore.WithPID(pid))
					default:
						var f *os.File
						if f, err = os.Open(src); err == nil {
							_, err = s.StoreObject(b.Context(), f, hashstore.WithPID(pid))
							f.Close()
						}
					}
					b.StopTimer()
					if err != nil {
						b.Fatal(err)
					}
					if err := s.DeleteObject(b.Context(), pid); err != nil {
						b.Fatal(err)
					}
					b.StartTimer()
				}
			})
		}
	}
}

// writeBenchSource replaces the file at p with data, fsynced if sync is set.
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
