// Command serve is the client side of bench/serve.sh: it measures what curl and wrk cannot
// give directly, with a client cheap enough not to be what limits the server. Every
// subcommand prints one line per figure, "name value unit".
//
//	serve sha256 -size 1073741824                      SHA-256 over memory, one goroutine: MB/s
//	serve sha256 -file F                               SHA-256 of file F read with pread through
//	                                                   a buffer of the server's default size:
//	                                                   MB/s (what verifying costs at least)
//	serve get    -url U -name N [-discard]             one GET read with 1 MiB reads: MB/s,
//	                                                   and the client's CPU time per GiB
//	                                                   (-discard: the body is dropped by the
//	                                                   kernel, not copied to the client)
//	serve storm  -get U -readers 64 -put U -writers 8 -body F -token T
//	                                                   concurrent downloads and uploads; prints
//	                                                   what each side got (statuses, bytes)
//	serve sysmeta -pid P -file F                       a public system metadata document for F
//	serve seed   -url BASE -n 2000 -size 4096 -token T -paths F -files F
//	                                                   stores n public objects with system
//	                                                   metadata through the native routes; writes
//	                                                   their DataONE paths and their paths in
//	                                                   the store, one per line
//	serve floor  -listen ADDR -like URL -size 4096     answers every GET with -size bytes from
//	                                                   memory and the headers of one response
//	                                                   of URL: what net/http alone costs for
//	                                                   the same responses (runs until killed)
//	serve rawfloor -listen ADDR -like URL              answers every request with the bytes of
//	                                                   one whole response of URL, written on
//	                                                   the connection with no HTTP library:
//	                                                   what Go's network runtime and the
//	                                                   kernel alone cost (runs until killed)
package main

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/hashstore-go/hashstore/server"
	"github.com/hashstore-go/hashstore/server/servertest"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: serve sha256|get|storm|sysmeta|seed [flags]")
		os.Exit(2)
	}
	cmd, args := os.Args[1], os.Args[2:]
	fs := flag.NewFlagSet(cmd, flag.ExitOnError)
	size := fs.Int64("size", 1<<30, "bytes to hash (sha256); bytes per object (seed)")
	name := fs.String("name", "get", "figure name (get)")
	getURL := fs.String("get", "", "URL the readers GET (storm)")
	putURL := fs.String("put", "", "URL the writers POST to (storm)")
	readers := fs.Int("readers", 64, "concurrent downloads (storm)")
	writers := fs.Int("writers", 8, "concurrent uploads (storm)")
	body := fs.String("body", "", "file the writers upload (storm)")
	token := fs.String("token", "", "bearer token for the uploads (storm, seed)")
	n := fs.Int("n", 2000, "objects (seed)")
	pid := fs.String("pid", "", "the pid (sysmeta)")
	file := fs.String("file", "", "the object's file (sysmeta)")
	base := fs.String("url", "", "server base URL (seed); URL to GET (get)")
	pathsOut := fs.String("paths", "", "file for the DataONE paths of the objects (seed)")
	filesOut := fs.String("files", "", "file for the objects' paths in the store (seed)")
	listen := fs.String("listen", "127.0.0.1:0", "address to serve on (floor)")
	like := fs.String("like", "", "URL whose response headers to send (floor)")
	discard := fs.Bool("discard", false, "drop the body in the kernel instead of reading it (get)")
	fs.Parse(args)
	var err error
	switch cmd {
	case "sha256":
		if *file != "" {
			err = hashFileRate(*file)
		} else {
			err = hashRate(*size)
		}
	case "get":
		if *discard {
			err = getDiscarding(*base, *name)
		} else {
			err = get(*base, *name)
		}
	case "storm":
		err = storm(*getURL, *readers, *putURL, *writers, *body, *token)
	case "sysmeta":
		var data []byte
		if data, err = os.ReadFile(*file); err == nil {
			_, err = os.Stdout.Write(servertest.Sysmeta(*pid, data, true))
		}
	case "seed":
		err = seed(*base, *n, int(*size), *token, *pathsOut, *filesOut)
	case "floor":
		err = floor(*listen, *like, int(*size))
	case "rawfloor":
		err = rawFloor(*listen, *like)
	default:
		err = fmt.Errorf("unknown subcommand %q", cmd)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "serve:", err)
		os.Exit(1)
	}
}

// printRate prints the figure name: n bytes since start, in MB/s.
func printRate(name string, n int64, start time.Time) {
	fmt.Printf("%s %.0f MB/s\n", name, float64(n)/time.Since(start).Seconds()/1e6)
}

// hashRate is the rate of Go's SHA-256 on one core, over memory, in 1 MiB writes (the
// server's verification hashes through one buffer in one goroutine too).
func hashRate(size int64) error {
	buf := make([]byte, 1<<20)
	for i := range buf {
		buf[i] = byte(i * 7)
	}
	h := sha256.New()
	start := time.Now()
	for left := size; left > 0; left -= int64(len(buf)) {
		h.Write(buf[:min(left, int64(len(buf)))])
	}
	h.Sum(nil)
	printRate("sha256_one_core", size, start)
	return nil
}

// hashFileRate is the rate of reading file through one buffer of the server's default size
// and hashing it, in one goroutine: the least a verified GET costs the core that hashes.
func hashFileRate(name string) error {
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	buf := make([]byte, server.DefaultConfig().BufferSize)
	h := sha256.New()
	start := time.Now()
	n, err := io.CopyBuffer(h, io.NewSectionReader(f, 0, 1<<62), buf)
	if err != nil {
		return err
	}
	h.Sum(nil)
	printRate("sha256_file", n, start)
	return nil
}

// get reads one response to its end and prints the rate.
func get(url, name string) error {
	start := time.Now()
	resp, err := http.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	n, err := io.CopyBuffer(io.Discard, resp.Body, make([]byte, 1<<20))
	if err != nil {
		return err
	}
	if resp.ContentLength >= 0 && n != resp.ContentLength {
		return fmt.Errorf("GET %s: %d of %d bytes", url, n, resp.ContentLength)
	}
	printRate(name, n, start)
	printCPU(name, n)
	return nil
}

// printCPU prints the figure name_cpu: the CPU time (user and system) this process has used,
// per GiB of the n bytes it received.
func printCPU(name string, n int64) {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil || n == 0 {
		return
	}
	cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	fmt.Printf("%s_cpu %.3f s_per_GiB\n", name, cpu.Seconds()*float64(1<<30)/float64(n))
}

// getDiscarding is get with the body dropped by the kernel (discardBody): HTTP/1.1 over one
// connection, the status line and headers read by net/http, the body never copied.
func getDiscarding(rawURL, name string) error {
	u, err := url.Parse(rawURL)
	if err != nil {
		return err
	}
	start := time.Now()
	conn, err := net.Dial("tcp", u.Host)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n", u.RequestURI(), u.Host); err != nil {
		return err
	}
	br := bufio.NewReaderSize(conn, 64<<10)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK || resp.ContentLength < 0 {
		return fmt.Errorf("GET %s: %s, length %d", rawURL, resp.Status, resp.ContentLength)
	}
	n, _ := br.Discard(int(min(int64(br.Buffered()), resp.ContentLength)))
	rest, err := discardBody(conn, resp.ContentLength-int64(n))
	if err != nil {
		return fmt.Errorf("GET %s: %d of %d bytes: %w", rawURL, int64(n)+rest, resp.ContentLength, err)
	}
	printRate(name, resp.ContentLength, start)
	printCPU(name, resp.ContentLength)
	return nil
}

// storm runs the downloads and uploads at once and reports their outcomes. Busy answers
// (503) are retried after a pause, so that every transfer is eventually made.
func storm(getURL string, readers int, putURL string, writers int, bodyFile, token string) error {
	var mu sync.Mutex
	outcomes := map[string]int{}
	count := func(k string) {
		mu.Lock()
		outcomes[k]++
		mu.Unlock()
	}
	var wg sync.WaitGroup
	start := time.Now()
	for range readers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				resp, err := http.Get(getURL)
				if err != nil {
					count("get_error")
					return
				}
				n, err := io.CopyBuffer(io.Discard, resp.Body, make([]byte, 256<<10))
				resp.Body.Close()
				switch {
				case resp.StatusCode == http.StatusServiceUnavailable:
					count("get_503")
					time.Sleep(200 * time.Millisecond)
					continue
				case err != nil || n != resp.ContentLength:
					count("get_short")
				default:
					count(fmt.Sprintf("get_%d", resp.StatusCode))
				}
				return
			}
		}()
	}
	for range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				f, err := os.Open(bodyFile)
				if err != nil {
					count("put_error")
					return
				}
				req, _ := http.NewRequest(http.MethodPost, putURL, f)
				req.Header.Set("Authorization", "Bearer "+token)
				resp, err := http.DefaultClient.Do(req)
				f.Close()
				if err != nil {
					count("put_error")
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode == http.StatusServiceUnavailable {
					count("put_503")
					time.Sleep(200 * time.Millisecond)
					continue
				}
				count(fmt.Sprintf("put_%d", resp.StatusCode))
				return
			}
		}()
	}
	wg.Wait()
	keys := make([]string, 0, len(outcomes))
	for k := range outcomes {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s=%d", k, outcomes[k]))
	}
	fmt.Printf("storm_seconds %.1f s\n", time.Since(start).Seconds())
	fmt.Printf("storm_outcomes %s\n", strings.Join(parts, ","))
	return nil
}

// seed stores n objects of size bytes (distinct content) as pids small.0, small.1, ... with
// public system metadata, through the native routes, and lists their DataONE paths and their
// files' paths relative to the store (objects/aa/bb/cc/rest, for nginx).
func seed(base string, n, size int, token, pathsOut, filesOut string) error {
	var paths, files strings.Builder
	put := func(u string, body []byte) error {
		req, _ := http.NewRequest(http.MethodPut, u, bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusCreated {
			return fmt.Errorf("PUT %s: %s", u, resp.Status)
		}
		return nil
	}
	for i := range n {
		pid := fmt.Sprintf("small.%d", i)
		data := servertest.PseudoRandom(byte(i), size)
		binary.BigEndian.PutUint32(data, uint32(i)) // distinct content
		if err := put(base+"/hs/v1/object/"+pid, data); err != nil {
			return err
		}
		if err := put(base+"/hs/v1/metadata/"+pid, servertest.Sysmeta(pid, data, true)); err != nil {
			return err
		}
		sum := sha256.Sum256(data)
		cid := hex.EncodeToString(sum[:])
		fmt.Fprintf(&paths, "/mn/v2/object/%s\n", pid)
		fmt.Fprintf(&files, "/objects/%s/%s/%s/%s\n", cid[:2], cid[2:4], cid[4:6], cid[6:])
	}
	if err := os.WriteFile(pathsOut, []byte(paths.String()), 0o644); err != nil {
		return err
	}
	return os.WriteFile(filesOut, []byte(files.String()), 0o644)
}

// floor serves size bytes from memory, with the headers like answered with, to every GET: the
// most net/http can do for the same responses, with nothing to look up, open or hash.
func floor(listen, like string, size int) error {
	resp, err := http.Get(like)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	hdr := resp.Header.Clone()
	hdr.Del("Date")
	hdr.Set("Content-Length", fmt.Sprint(size))
	body := bytes.Repeat([]byte{'x'}, size)
	return http.ListenAndServe(listen, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		h := w.Header()
		for k, v := range hdr {
			h[k] = v
		}
		w.Write(body)
	}))
}

// rawFloor answers each request head (up to its empty line) read on a connection with the
// bytes of one response of like, taken once: the least a Go server can do per request.
func rawFloor(listen, like string) error {
	resp, err := http.Get(like)
	if err != nil {
		return err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return err
	}
	var answer bytes.Buffer
	fmt.Fprintf(&answer, "HTTP/1.1 %s\r\n", resp.Status)
	resp.Header.Set("Content-Length", fmt.Sprint(len(body)))
	resp.Header.Write(&answer)
	answer.WriteString("\r\n")
	answer.Write(body)
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return err
	}
	for {
		c, err := ln.Accept()
		if err != nil {
			return err
		}
		go func() {
			defer c.Close()
			br := bufio.NewReader(c)
			for {
				for {
					line, err := br.ReadSlice('\n')
					if err != nil {
						return
					}
					if len(line) <= 2 {
						break
					}
				}
				if _, err := c.Write(answer.Bytes()); err != nil {
					return
				}
			}
		}()
	}
}
