package multihash

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"fmt"
	"hash"
	"io"
	"runtime"
	"testing"
)

var benchSizes = []struct {
	name string
	n    int
}{
	{"64KiB", 64 << 10},
	{"1MiB", 1 << 20},
	{"64MiB", 64 << 20},
}

// benchInput is allocated once, lazily, so that plain test runs do not pay for 64 MiB.
var benchInput []byte

func benchData(n int) []byte {
	if len(benchInput) < n {
		benchInput = make([]byte, n)
		for i := range benchInput {
			benchInput[i] = byte(i*131 + i>>9)
		}
	}
	return benchInput[:n]
}

// serialCopy is what the reference implementations do: read a step, update every digest in
// turn, repeat, all in one goroutine.
func serialCopy(r io.Reader, hs []hash.Hash, buf []byte) error {
	for {
		k, err := io.ReadFull(r, buf)
		for _, h := range hs {
			h.Write(buf[:k])
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

func benchSerial(b *testing.B, step int) {
	for _, s := range benchSizes {
		b.Run(s.name, func(b *testing.B) {
			data := benchData(s.n)
			hs := fiveDefaults()
			buf := make([]byte, step)
			r := bytes.NewReader(data)
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				r.Reset(data)
				for _, h := range hs {
					h.Reset()
				}
				if err := serialCopy(r, hs, buf); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkFiveDigestsSerial is the baseline: the five defaults updated one after another in
// 8 KiB steps.
func BenchmarkFiveDigestsSerial(b *testing.B) { benchSerial(b, 8<<10) }

// BenchmarkFiveDigestsSerialMiBSteps is the same baseline with the engine's 1 MiB step, so the
// comparison is not skewed by per-call overhead of small steps.
func BenchmarkFiveDigestsSerialMiBSteps(b *testing.B) { benchSerial(b, 1<<20) }

func benchEngine(b *testing.B, opts Options) {
	for _, s := range benchSizes {
		b.Run(s.name, func(b *testing.B) {
			benchEngineSize(b, benchData(s.n), opts)
		})
	}
}

func benchEngineSize(b *testing.B, data []byte, opts Options) {
	hs := fiveDefaults()
	r := bytes.NewReader(data)
	ctx := context.Background()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		r.Reset(data)
		for _, h := range hs {
			h.Reset()
		}
		if _, err := Copy(ctx, r, hs, opts); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFiveDigestsEngine is Copy with the five defaults and default options.
func BenchmarkFiveDigestsEngine(b *testing.B) { benchEngine(b, Options{}) }

// BenchmarkFiveDigestsEngineTee adds a tee, which costs one more consumer goroutine.
func BenchmarkFiveDigestsEngineTee(b *testing.B) { benchEngine(b, Options{Tee: io.Discard}) }

// BenchmarkFiveDigestsEngineGrouped spreads the digests round-robin over GOMAXPROCS goroutines
// instead of one goroutine each, the alternative layout the default was chosen against.
func BenchmarkFiveDigestsEngineGrouped(b *testing.B) {
	benchEngine(b, Options{workers: runtime.GOMAXPROCS(0)})
}

// BenchmarkEngineChunking explores chunk size and pool depth, to tune the defaults: on 64 MiB
// for steady-state throughput, and on 1 and 4 MiB, where few chunks mean coarse work units that
// two cores cannot share evenly at the end of the stream.
func BenchmarkEngineChunking(b *testing.B) {
	configs := []struct{ size, chunks int }{
		{64 << 10, 8}, {256 << 10, 4}, {256 << 10, 8}, {512 << 10, 4}, {512 << 10, 8},
		{1 << 20, 2}, {1 << 20, 4}, {1 << 20, 8}, {4 << 20, 4},
	}
	for _, in := range []int{1 << 20, 4 << 20, 64 << 20} {
		data := benchData(in)
		for _, c := range configs {
			b.Run(fmt.Sprintf("in=%dMiB/chunk=%dKiB/chunks=%d", in>>20, c.size>>10, c.chunks), func(b *testing.B) {
				benchEngineSize(b, data, Options{ChunkSize: c.size, Chunks: c.chunks})
			})
		}
	}
}

// BenchmarkSingleDigest measures each default digest alone on 1 MiB. The slowest one bounds what
// any parallel layout can reach: the engine cannot beat sum/max of these per-byte costs, nor 2x on
// two cores.
func BenchmarkSingleDigest(b *testing.B) {
	data := benchData(1 << 20)
	for _, d := range []struct {
		name string
		new  func() hash.Hash
	}{
		{"md5", md5.New}, {"sha1", sha1.New}, {"sha256", sha256.New}, {"sha384", sha512.New384}, {"sha512", sha512.New},
	} {
		b.Run(d.name, func(b *testing.B) {
			h := d.new()
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				h.Reset()
				h.Write(data)
			}
		})
	}
}
