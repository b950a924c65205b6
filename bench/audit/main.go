// Command audit measures hashstore's Audit on a large store: it builds a store of -n objects of
// -size random bytes, each tagged with a pid (fsync off, several goroutines), unless the store
// already exists, then audits it and prints the time taken and the peak resident memory of the
// audit alone (VmHWM, reset through /proc/self/clear_refs before the audit starts).
//
//	go run ./bench/audit -store /tmp/audit-store -n 100000
//	go run ./bench/audit -store /tmp/audit-store -rehash   # reuses the store built above
package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"flag"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashstore-go/hashstore/hashstore"
)

func main() {
	dir := flag.String("store", "", "the store `DIR` (built if it holds no store yet)")
	n := flag.Int("n", 100000, "objects to build the store with")
	size := flag.Int("size", 4096, "bytes per object")
	workers := flag.Int("workers", 2*runtime.GOMAXPROCS(0), "goroutines storing objects")
	rehash := flag.Bool("rehash", false, "audit with rehash (read every object)")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the audit to `FILE`")
	flag.Parse()
	if *dir == "" {
		fmt.Fprintln(os.Stderr, "usage: audit -store DIR [-n N] [-size BYTES] [-workers N] [-rehash]")
		os.Exit(2)
	}
	if err := run(*dir, *n, *size, *workers, *rehash, *cpuProfile); err != nil {
		fmt.Fprintln(os.Stderr, "audit:", err)
		os.Exit(1)
	}
}

func run(dir string, n, size, workers int, rehash bool, cpuProfile string) error {
	ctx := context.Background()
	if _, err := os.Stat(dir + "/hashstore.yaml"); err != nil {
		if err := build(ctx, dir, n, size, workers); err != nil {
			return err
		}
	} else {
		fmt.Printf("reusing the store in %s\n", dir)
	}
	s, err := hashstore.Open(dir, hashstore.WithReadOnly())
	if err != nil {
		return err
	}
	runtime.GC()
	resetPeakRSS()
	before := status("VmHWM")
	if cpuProfile != "" {
		f, err := os.Create(cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	start := time.Now()
	var peakHeap uint64
	sum, err := s.Audit(ctx, hashstore.AuditOptions{Rehash: rehash, Progress: func(hashstore.AuditProgress) {
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		peakHeap = max(peakHeap, m.HeapInuse)
	}}, nil)
	elapsed := time.Since(start)
	if err != nil {
		return err
	}
	fmt.Printf("audit (rehash=%v): %d files, %d findings, clean=%v in %v (%.0f files/s)\n",
		rehash, sum.Files, sum.Findings, sum.Clean, elapsed.Round(time.Millisecond), float64(sum.Files)/elapsed.Seconds())
	fmt.Printf("peak RSS during the audit (VmHWM): %s (after reset: %s); peak Go heap in use: %d KiB\n",
		status("VmHWM"), before, peakHeap>>10)
	return nil
}

// build makes a store of n objects of size random bytes, pid "bench.<i>", without fsyncs.
func build(ctx context.Context, dir string, n, size, workers int) error {
	s, err := hashstore.New(dir, hashstore.DefaultConfig(), hashstore.WithSync(false), hashstore.WithProcessLocks(false))
	if err != nil {
		return err
	}
	start := time.Now()
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, size)
			for {
				i := next.Add(1)
				if i > int64(n) {
					return
				}
				rand.Read(buf)
				if _, err := s.StoreObject(ctx, bytes.NewReader(buf), hashstore.WithPID(fmt.Sprintf("bench.%d", i))); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return err
	}
	el := time.Since(start)
	fmt.Printf("built %d objects of %d bytes in %v (%.0f objects/s)\n", n, size, el.Round(time.Millisecond), float64(n)/el.Seconds())
	return nil
}

// resetPeakRSS resets VmHWM to the current RSS (Linux 4.0+), so that the peak measured next is
// the audit's and not the build's.
func resetPeakRSS() {
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		fmt.Fprintln(os.Stderr, "audit: cannot reset the peak RSS; VmHWM includes the build:", err)
	}
}

// status returns a field of /proc/self/status, such as "VmHWM", or "?".
func status(field string) string {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "?"
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			return strings.TrimSpace(v)
		}
	}
	return "?"
}
