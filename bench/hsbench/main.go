// Command hsbench measures the figures the issues ask for that a `go test -bench` line cannot
// give directly: whole-run rates over many objects, peak memory of concurrent streams, and the
// bytes a conversion writes. bench/run.sh drives it; every subcommand prints one line per
// figure, "name value unit", so the script can collect medians.
//
//	hsbench digests  -size 1073741824 [-file F]   five default digests: serial loop vs engine
//	hsbench small    -n 2000 -workers 1 -dir D     StoreObject + StoreMetadata of 4 KiB objects
//	hsbench retrieve -n 2000 -dir D                RetrieveObject: small objects/s, large MB/s
//	hsbench streams  -streams 32 -size 67108864    concurrent StoreObject streams (run under time -v)
//	hsbench convert  -file F -dir D                hard-link conversion of one file: MB/s, bytes written
//	hsbench convert-small -n 2000 -dir D           Convert of 4 KiB files + sysmeta, objects/s
//	hsbench fsfloor  -n 2000 -dir D                the filesystem's own cost: us per mkdir, per file
package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/md5"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"flag"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashstore-go/hashstore/converter"
	"github.com/hashstore-go/hashstore/hashstore"
	"github.com/hashstore-go/hashstore/internal/multihash"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: hsbench digests|small|retrieve|streams|convert|convert-small|fsfloor [flags]")
		os.Exit(2)
	}
	cmd, args := os.Args[1], os.Args[2:]
	fs := flag.NewFlagSet(cmd, flag.ExitOnError)
	size := fs.Int64("size", 1<<30, "bytes per object (digests, streams)")
	file := fs.String("file", "", "input file (digests: read it instead of memory; convert: the source)")
	n := fs.Int("n", 2000, "number of objects")
	workers := fs.Int("workers", 1, "goroutines")
	streams := fs.Int("streams", 32, "concurrent streams")
	dir := fs.String("dir", "", "directory for the store (default: a new one under $TMPDIR)")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile of the run to this file (go tool pprof)")
	fs.Parse(args)
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "hsbench:", err)
			os.Exit(1)
		}
		defer pprof.StopCPUProfile()
	}
	ctx := context.Background()
	var err error
	switch cmd {
	case "digests":
		err = digests(ctx, *size, *file)
	case "small":
		err = small(ctx, storeDir(*dir), *n, *workers)
	case "retrieve":
		err = retrieve(ctx, storeDir(*dir), *n)
	case "streams":
		err = concurrentStreams(ctx, storeDir(*dir), *streams, *size)
	case "convert":
		err = convertOne(ctx, storeDir(*dir), *file)
	case "convert-small":
		err = convertSmall(ctx, storeDir(*dir), *n)
	case "fsfloor":
		err = fsFloor(storeDir(*dir), *n)
	default:
		err = fmt.Errorf("unknown subcommand %q", cmd)
	}
	if err != nil {
		pprof.StopCPUProfile()
		fmt.Fprintln(os.Stderr, "hsbench:", err)
		os.Exit(1)
	}
}

func storeDir(dir string) string {
	if dir != "" {
		return dir
	}
	d, err := os.MkdirTemp("", "hsbench")
	if err != nil {
		panic(err)
	}
	return filepath.Join(d, "store")
}

func report(name string, value float64, unit string) { fmt.Printf("%s %.1f %s\n", name, value, unit) }

func fiveDefaults() []hash.Hash {
	return []hash.Hash{md5.New(), sha1.New(), sha256.New(), sha512.New384(), sha512.New()}
}

// digests compares the reference implementations' loop (each of the five digests updated in
// turn, 8 KiB at a time, one thread) with the engine, over the same bytes.
func digests(ctx context.Context, size int64, file string) error {
	var data []byte
	var err error
	if file != "" {
		if data, err = os.ReadFile(file); err != nil {
			return err
		}
	} else {
		data = make([]byte, size)
		rand.Read(data)
	}
	mb := float64(len(data)) / 1e6
	start := time.Now()
	hs := fiveDefaults()
	for off := 0; off < len(data); off += 8 << 10 {
		end := min(off+8<<10, len(data))
		for _, h := range hs {
			h.Write(data[off:end])
		}
	}
	serial := mb / time.Since(start).Seconds()
	start = time.Now()
	if _, err := multihash.Copy(ctx, bytes.NewReader(data), fiveDefaults(), multihash.Options{}); err != nil {
		return err
	}
	engine := mb / time.Since(start).Seconds()
	report("digests_serial", serial, "MB/s")
	report("digests_engine", engine, "MB/s")
	report("digests_ratio", engine/serial*100, "%")
	return nil
}

func openStore(dir string, sync bool) (*hashstore.FileHashStore, error) {
	return hashstore.New(dir, hashstore.DefaultConfig(), hashstore.WithSync(sync))
}

// small stores n 4 KiB objects with a 1.5 KB sysmeta each, fsync off, from `workers`
// goroutines, and reports objects per second.
func small(ctx context.Context, dir string, n, workers int) error {
	s, err := openStore(dir, false)
	if err != nil {
		return err
	}
	sysmeta := bytes.Repeat([]byte("<sysmeta/>"), 150)
	var next atomic.Int64
	var firstErr error
	var once sync.Once
	start := time.Now()
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			data := make([]byte, 4096)
			for {
				i := next.Add(1)
				if i > int64(n) {
					return
				}
				copy(data, fmt.Sprintf("object %d %d", i, start.UnixNano()))
				pid := fmt.Sprint("urn:bench:", i)
				_, err := s.StoreObject(ctx, bytes.NewReader(data), hashstore.WithPID(pid))
				if err == nil {
					_, err = s.StoreMetadata(ctx, pid, bytes.NewReader(sysmeta))
				}
				if err != nil {
					once.Do(func() { firstErr = err })
					return
				}
			}
		})
	}
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	report(fmt.Sprintf("small_store_w%d", workers), float64(n)/time.Since(start).Seconds(), "objects/s")
	return nil
}

// retrieve reads n small objects once each and a 256 MiB object several times.
func retrieve(ctx context.Context, dir string, n int) error {
	s, err := openStore(dir, false)
	if err != nil {
		return err
	}
	data := make([]byte, 4096)
	for i := range n {
		copy(data, fmt.Sprint("retrieve ", i))
		if _, err := s.StoreObject(ctx, bytes.NewReader(data), hashstore.WithPID(fmt.Sprint("r", i))); err != nil {
			return err
		}
	}
	big := make([]byte, 256<<20)
	rand.Read(big)
	if _, err := s.StoreObject(ctx, bytes.NewReader(big), hashstore.WithPID("big")); err != nil {
		return err
	}
	buf := make([]byte, 1<<20)
	start := time.Now()
	for i := range n {
		r, err := s.RetrieveObject(ctx, fmt.Sprint("r", i))
		if err != nil {
			return err
		}
		if _, err := io.CopyBuffer(io.Discard, struct{ io.Reader }{r}, buf); err != nil {
			return err
		}
		r.Close()
	}
	report("retrieve_small", float64(n)/time.Since(start).Seconds(), "objects/s")
	readBig := func(rounds int) error {
		start := time.Now()
		for range rounds {
			r, err := s.RetrieveObject(ctx, "big")
			if err != nil {
				return err
			}
			if _, err := io.CopyBuffer(io.Discard, struct{ io.Reader }{r}, buf); err != nil {
				return err
			}
			r.Close()
		}
		report(fmt.Sprintf("retrieve_large_x%d", rounds), float64(rounds*len(big))/1e6/time.Since(start).Seconds(), "MB/s")
		return nil
	}
	// The store wrote the object's content past its first 8 MiB directly to the device
	// (hashstore.WithDirectIO), so the first read comes mostly from the device; the issue's
	// figure is for reads from the page cache, which the following rounds are.
	if err := readBig(1); err != nil {
		return err
	}
	return readBig(8)
}

// concurrentStreams runs `streams` StoreObject calls at once, each reading size bytes from a
// generator (no input buffer in memory), to show memory per stream is bounded.
func concurrentStreams(ctx context.Context, dir string, streams int, size int64) error {
	s, err := openStore(dir, false)
	if err != nil {
		return err
	}
	start := time.Now()
	var wg sync.WaitGroup
	errs := make([]error, streams)
	for i := range streams {
		wg.Go(func() {
			_, errs[i] = s.StoreObject(ctx, io.LimitReader(newPattern(uint64(i)), size), hashstore.WithPID(fmt.Sprint("stream-", i)))
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	report("streams_rate", float64(streams)*float64(size)/1e6/time.Since(start).Seconds(), "MB/s")
	report("streams_vmhwm", float64(vmHWM())/(1<<20), "MiB")
	return nil
}

// pattern is an endless, cheap, seed-dependent byte stream.
type pattern struct{ x uint64 }

func newPattern(seed uint64) *pattern { return &pattern{x: seed*0x9E3779B97F4A7C15 + 1} }

func (p *pattern) Read(b []byte) (int, error) {
	for i := range b {
		p.x ^= p.x << 13
		p.x ^= p.x >> 7
		p.x ^= p.x << 17
		b[i] = byte(p.x)
	}
	return len(b), nil
}

// convertOne hard-links file into a store and reports the rate and the bytes this process
// caused to be written (/proc/self/io write_bytes) while doing it.
func convertOne(ctx context.Context, dir, file string) error {
	s, err := openStore(dir, true)
	if err != nil {
		return err
	}
	fi, err := os.Stat(file)
	if err != nil {
		return err
	}
	before := writeBytes()
	start := time.Now()
	pid := "convert-bench-" + strconv.FormatInt(start.UnixNano(), 36)
	if _, _, err := s.StoreFile(ctx, file, hashstore.WithPID(pid), hashstore.WithLink(hashstore.LinkFile)); err != nil {
		return err
	}
	elapsed := time.Since(start)
	written := writeBytes() - before
	report("convert_rate", float64(fi.Size())/1e6/elapsed.Seconds(), "MB/s")
	report("convert_write_bytes", float64(written)/(1<<10), "KiB")
	return nil
}

// convertSmall converts n 4 KiB files, each with a v2 sysmeta document, fsync off.
func convertSmall(ctx context.Context, dir string, n int) error {
	src, err := os.MkdirTemp(filepath.Dir(dir), "src")
	if err != nil {
		return err
	}
	type item struct {
		path, pid string
		sysmeta   []byte
	}
	items := make([]item, n)
	data := make([]byte, 4096)
	for i := range n {
		copy(data, fmt.Sprintf("convert %d %d", i, time.Now().UnixNano()))
		p := filepath.Join(src, fmt.Sprint("autogen.", i, ".1"))
		if err := os.WriteFile(p, data, 0o644); err != nil {
			return err
		}
		sum := md5.Sum(data)
		pid := fmt.Sprint("autogen.", i, ".1")
		items[i] = item{p, pid, []byte(fmt.Sprintf(`<?xml version="1.0"?><d1:systemMetadata xmlns:d1="http://ns.dataone.org/service/types/v2.0"><identifier>%s</identifier><formatId>text/plain</formatId><size>4096</size><checksum algorithm="MD5">%s</checksum></d1:systemMetadata>`, pid, hex.EncodeToString(sum[:])))}
	}
	s, err := openStore(dir, false)
	if err != nil {
		return err
	}
	c := converter.New(s, hashstore.LinkFile)
	start := time.Now()
	for _, it := range items {
		if _, err := c.Convert(ctx, it.path, it.pid, it.sysmeta); err != nil {
			return err
		}
	}
	report("convert_small", float64(n)/time.Since(start).Seconds(), "objects/s")
	return nil
}

// writeBytes is this process's write_bytes from /proc/self/io: bytes it caused to be sent to
// the storage layer.
func writeBytes() int64 { return procField("/proc/self/io", "write_bytes:") }

// vmHWM is this process's peak resident set size in bytes.
func vmHWM() int64 { return procField("/proc/self/status", "VmHWM:") * 1024 }

func procField(file, key string) int64 {
	f, err := os.Open(file)
	if err != nil {
		return -1
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), key); ok {
			v, _ := strconv.ParseInt(strings.Fields(rest)[0], 10, 64)
			return v
		}
	}
	return -1
}

// fsFloor measures what the filesystem under dir charges for the two operations a small
// object cannot avoid, with no store code involved: creating a directory (a fresh store makes
// about nine per object and sysmeta, in its shard trees) and creating a 4 KiB file under a
// temporary name, writing and closing it and renaming it into place (four per object). The
// directories form a shard tree like the store's (three levels of two random hex digits), since
// where a filesystem places a new directory depends on its parent. The small-object rates are
// bounded by these, whatever the store does. What it made is left in place: deleting it would
// slow this filesystem's next creations (see bench/run.sh), so dir should be new each time.
func fsFloor(dir string, n int) error {
	leaves := make([]string, n)
	for i := range leaves {
		var b [3]byte
		rand.Read(b[:])
		h := hex.EncodeToString(b[:])
		leaves[i] = filepath.Join(dir, h[0:2], h[2:4], h[4:6])
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	made := 0
	start := time.Now()
	for _, leaf := range leaves {
		for _, d := range []string{filepath.Dir(filepath.Dir(leaf)), filepath.Dir(leaf), leaf} {
			err := os.Mkdir(d, 0o755)
			if err == nil {
				made++
			} else if !os.IsExist(err) {
				return err
			}
		}
	}
	report("fs_mkdir_us", float64(time.Since(start).Microseconds())/float64(made), "us")
	data := make([]byte, 4096)
	start = time.Now()
	for i, leaf := range leaves {
		tmp := filepath.Join(leaf, "tmp"+strconv.Itoa(i))
		if err := os.WriteFile(tmp, data, 0o664); err != nil {
			return err
		}
		if err := os.Rename(tmp, filepath.Join(leaf, "f"+strconv.Itoa(i))); err != nil {
			return err
		}
	}
	report("fs_file_us", float64(time.Since(start).Microseconds())/float64(n), "us")
	return nil
}
