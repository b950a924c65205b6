// Command bulk makes the inputs of the bulk conversion benchmarks (bench/bulk.sh) and measures
// the digest engine's rate, which the mixed benchmark is compared with.
//
//	go run ./bench/bulk gen -dir DIR -n 20000 -size 4096       # DIR/data, DIR/sysmeta, DIR/manifest.csv
//	go run ./bench/bulk gen -dir DIR -n 5000 -size 4096 -large 2 -large-size 1GiB
//	go run ./bench/bulk lines -out FILE -n 1000000             # a manifest of sysmeta-only lines
//	go run ./bench/bulk engine -file FILE                      # multihash over FILE, MB/s
//	go run ./bench/bulk journal -out J -store S -manifest M -n 1000000  # a journal of N successes
package main

import (
	"bufio"
	"context"
	"crypto/md5"
	"encoding/csv"
	"encoding/hex"
	"flag"
	"fmt"
	"hash"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/hashstore-go/hashstore/hashstore"
	"github.com/hashstore-go/hashstore/internal/multihash"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	var err error
	switch os.Args[1] {
	case "gen":
		err = gen(os.Args[2:])
	case "lines":
		err = lines(os.Args[2:])
	case "engine":
		err = engine(os.Args[2:])
	case "journal":
		err = journal(os.Args[2:])
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bulk:", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: bulk gen -dir DIR -n N [-size BYTES] [-large K -large-size BYTES] | lines -out FILE -n N | engine -file FILE | journal -out FILE -store DIR -manifest FILE -n N")
	os.Exit(2)
}

func sysmetaDoc(pid string, size int64, md5hex string) []byte {
	return fmt.Appendf(nil, `<?xml version="1.0" encoding="UTF-8"?>
<d1:systemMetadata xmlns:d1="http://ns.dataone.org/service/types/v2.0">
  <serialVersion>1</serialVersion>
  <identifier>%s</identifier>
  <formatId>application/octet-stream</formatId>
  <size>%d</size>
  <checksum algorithm="MD5">%s</checksum>
  <submitter>CN=bench</submitter>
  <rightsHolder>CN=bench</rightsHolder>
</d1:systemMetadata>
`, pid, size, md5hex)
}

// gen writes N small objects (and optionally K large ones first) with their sysmeta and a
// manifest listing them, large ones first.
func gen(args []string) error {
	fs := flag.NewFlagSet("gen", flag.ExitOnError)
	dir := fs.String("dir", "", "output directory")
	n := fs.Int("n", 20000, "small objects")
	size := fs.Int("size", 4096, "bytes per small object")
	large := fs.Int("large", 0, "large objects")
	largeSize := fs.Int64("large-size", 1<<30, "bytes per large object")
	fs.Parse(args)
	if *dir == "" {
		usage()
	}
	for _, d := range []string{"data", "sysmeta"} {
		if err := os.MkdirAll(filepath.Join(*dir, d), 0o755); err != nil {
			return err
		}
	}
	mf, err := os.Create(filepath.Join(*dir, "manifest.csv"))
	if err != nil {
		return err
	}
	w := csv.NewWriter(bufio.NewWriter(mf))
	w.Write([]string{"pid", "path", "sysmeta"})
	add := func(pid string, data []byte, h hash.Hash, n int64) error {
		name := pid
		if err := os.WriteFile(filepath.Join(*dir, "sysmeta", name+".xml"), sysmetaDoc(pid, n, hex.EncodeToString(h.Sum(nil))), 0o644); err != nil {
			return err
		}
		return w.Write([]string{pid, "data/" + name, "sysmeta/" + name + ".xml"})
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range *large {
		pid := fmt.Sprintf("large.%d", i)
		f, err := os.Create(filepath.Join(*dir, "data", pid))
		if err != nil {
			return err
		}
		h := md5.New()
		buf := make([]byte, 1<<20)
		for left := *largeSize; left > 0; {
			k := int64(len(buf))
			if k > left {
				k = left
			}
			for j := 0; j < int(k); j += 8 {
				v := rng.Uint64()
				for b := 0; b < 8 && j+b < int(k); b++ {
					buf[j+b] = byte(v >> (8 * b))
				}
			}
			f.Write(buf[:k])
			h.Write(buf[:k])
			left -= k
		}
		if err := f.Close(); err != nil {
			return err
		}
		if err := add(pid, nil, h, *largeSize); err != nil {
			return err
		}
	}
	data := make([]byte, *size)
	for i := range *n {
		pid := fmt.Sprintf("small.%07d", i)
		for j := range data {
			data[j] = byte(rng.Uint32())
		}
		if err := os.WriteFile(filepath.Join(*dir, "data", pid), data, 0o644); err != nil {
			return err
		}
		h := md5.New()
		h.Write(data)
		if err := add(pid, data, h, int64(len(data))); err != nil {
			return err
		}
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return err
	}
	return mf.Close()
}

// lines writes a manifest of N sysmeta-only lines that all name one missing sysmeta file: each
// entry fails at once (fileNotFound), so the run measures the pipeline, the journal and the
// outputs, not the disk.
func lines(args []string) error {
	fs := flag.NewFlagSet("lines", flag.ExitOnError)
	out := fs.String("out", "", "manifest file (.csv)")
	n := fs.Int("n", 1000000, "lines")
	fs.Parse(args)
	if *out == "" {
		usage()
	}
	f, err := os.Create(*out)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	w.WriteString("pid,path,sysmeta,checksum,checksum_algorithm,size\n")
	for i := range *n {
		w.WriteString("urn:uuid:bench-" + strconv.Itoa(i) + ",,missing/sysmeta-" + strconv.Itoa(i%1000) + ".xml,d41d8cd98f00b204e9800998ecf8427e,MD5,0\n")
	}
	if err := w.Flush(); err != nil {
		return err
	}
	return f.Close()
}

// engine hashes a file with the five default digests through multihash, as the store does,
// and prints MB/s (best of -runs).
func engine(args []string) error {
	fs := flag.NewFlagSet("engine", flag.ExitOnError)
	file := fs.String("file", "", "input file")
	runs := fs.Int("runs", 3, "runs")
	fs.Parse(args)
	best := 0.0
	for range *runs {
		f, err := os.Open(*file)
		if err != nil {
			return err
		}
		algs := hashstore.DefaultAlgorithms()
		hs := make([]hash.Hash, len(algs))
		for i, a := range algs {
			hs[i] = a.New()
		}
		start := time.Now()
		n, err := multihash.Copy(context.Background(), f, hs, multihash.Options{})
		f.Close()
		if err != nil {
			return err
		}
		if r := float64(n) / 1e6 / time.Since(start).Seconds(); r > best {
			best = r
		}
	}
	fmt.Printf("%.1f\n", best)
	return nil
}

// journal writes the journal of a convert run of the lines manifest into store in which every
// line succeeded: N records with digests, as a resumed run over a repository of N converted
// objects loads them. (The fingerprints do not match the manifest's entries, so such a run
// loads the journal's index, then does every line again.)
func journal(args []string) error {
	fs := flag.NewFlagSet("journal", flag.ExitOnError)
	out := fs.String("out", "", "journal file")
	store := fs.String("store", "", "the store's root")
	manifest := fs.String("manifest", "", "the manifest")
	n := fs.Int("n", 1000000, "records")
	fs.Parse(args)
	if *out == "" || *store == "" || *manifest == "" {
		usage()
	}
	st, err := filepath.Abs(*store)
	if err != nil {
		return err
	}
	m, err := filepath.Abs(*manifest)
	if err != nil {
		return err
	}
	f, err := os.Create(*out)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	fmt.Fprintf(w, `{"hashstore_bulk_journal":1,"mode":"convert","store":%q,"shard":"0/1","manifest":%q,"started":"2024-01-01T00:00:00Z"}`+"\n", st, m)
	for i := range *n {
		fmt.Fprintf(w, `{"line":%d,"pid":"urn:uuid:bench-%d","status":"ok","fp":"%016x","cid":"%064x","size":4096,"hex_digests":{"MD5":"%032x","SHA-1":"%040x","SHA-256":"%064x","SHA-384":"%096x","SHA-512":"%0128x"}}`+"\n",
			i+2, i, i, i, i, i, i, i, i)
	}
	if err := w.Flush(); err != nil {
		return err
	}
	return f.Close()
}
