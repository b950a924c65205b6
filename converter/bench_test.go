package converter_test

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/hashstore-go/hashstore/converter"
	"github.com/hashstore-go/hashstore/hashstore"
)

// benchObject is one prepared conversion: a 4 KiB source file and its sysmeta.
type benchObject struct {
	pid, path string
	sysmeta   []byte
}

// prepare writes n new 4 KiB sources with their sysmeta documents, numbered from first.
func prepare(b *testing.B, dir string, first, n int) []benchObject {
	b.Helper()
	out := make([]benchObject, n)
	data := make([]byte, 4096)
	for i := range out {
		k := first + i
		for j := range data {
			data[j] = byte(j)
		}
		copy(data, fmt.Sprint("object ", k))
		sum := md5.Sum(data)
		pid := fmt.Sprintf("bench.%d", k)
		p := filepath.Join(dir, pid)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			b.Fatal(err)
		}
		out[i] = benchObject{pid, p, sysmetaDoc(pid, int64(len(data)), "MD5", hex.EncodeToString(sum[:]))}
	}
	return out
}

// BenchmarkConvert4KiB converts 4 KiB files, each with its sysmeta (about 450 bytes), fsync
// off, from one goroutine: the per-object cost of a bulk conversion of small files. Sources
// are prepared in batches with the timer stopped. "Import" is the same through StoreObject and
// StoreMetadata (copying), for comparison. bytes/s counts the data files only.
func BenchmarkConvert4KiB(b *testing.B) {
	for _, mode := range []string{"Convert", "Import"} {
		b.Run(mode, func(b *testing.B) {
			s, err := hashstore.New(filepath.Join(b.TempDir(), "store"), hashstore.DefaultConfig(), hashstore.WithSync(false))
			if err != nil {
				b.Fatal(err)
			}
			c := converter.New(s, hashstore.LinkFile)
			dir := b.TempDir()
			var batch []benchObject
			n := 0
			b.SetBytes(4096)
			b.ReportAllocs()
			for b.Loop() {
				if len(batch) == 0 {
					b.StopTimer()
					batch = prepare(b, dir, n, 1024)
					n += len(batch)
					b.StartTimer()
				}
				o := batch[0]
				batch = batch[1:]
				if mode == "Convert" {
					_, err = c.Convert(b.Context(), o.path, o.pid, o.sysmeta)
				} else {
					var f *os.File
					if f, err = os.Open(o.path); err == nil {
						_, err = s.StoreObject(b.Context(), f, hashstore.WithPID(o.pid), hashstore.WithExpectedSize(4096))
						f.Close()
						if err == nil {
							_, err = s.StoreMetadata(b.Context(), o.pid, bytes.NewReader(o.sysmeta))
						}
					}
				}
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkRunBulk4KiB runs a whole manifest of b.N 4 KiB objects with their sysmeta (fsync
// off, 2 workers) through RunBulk: the bulk pipeline's cost per object on top of Convert's
// (compare with BenchmarkConvert4KiB). bench/bulk.sh measures the command end to end.
func BenchmarkRunBulk4KiB(b *testing.B) {
	for _, mode := range []struct {
		name   string
		policy hashstore.LinkPolicy
	}{{"convert", hashstore.LinkFile}, {"import", hashstore.CopyFile}} {
		b.Run(mode.name, func(b *testing.B) {
			s, err := hashstore.New(filepath.Join(b.TempDir(), "store"), hashstore.DefaultConfig(), hashstore.WithSync(false))
			if err != nil {
				b.Fatal(err)
			}
			dir := b.TempDir()
			objs := prepare(b, dir, 0, b.N)
			var m bytes.Buffer
			m.WriteString("pid,path,sysmeta\n")
			for _, o := range objs {
				if err := os.WriteFile(o.path+".xml", o.sysmeta, 0o644); err != nil {
					b.Fatal(err)
				}
				fmt.Fprintf(&m, "%s,%s,%s.xml\n", o.pid, o.path, o.path)
			}
			manifest := filepath.Join(dir, "manifest.csv")
			if err := os.WriteFile(manifest, m.Bytes(), 0o644); err != nil {
				b.Fatal(err)
			}
			src, err := converter.NewManifestSource(manifest)
			if err != nil {
				b.Fatal(err)
			}
			defer src.Close()
			b.SetBytes(4096)
			b.ResetTimer()
			sum, err := converter.New(s, mode.policy).RunBulk(b.Context(),
				converter.BulkOptions{Source: src, Journal: manifest + ".journal", Workers: 2})
			if err != nil {
				b.Fatal(err)
			}
			if sum.Failed > 0 {
				b.Fatal(sum.Failures)
			}
			b.ReportMetric(sum.Run.ObjectsPerSecond, "objects/s")
		})
	}
}
