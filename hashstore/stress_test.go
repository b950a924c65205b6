package hashstore_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spf13/afero"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hashstore-go/hashstore/hashstore"
)

// The stress test runs stressProcs processes (the test binary re-executed as TestStressChild)
// of stressGoroutines goroutines each against one store on the OS filesystem, with the
// default cross-process locks and fsyncs. Every goroutine does a seeded random mix of
// operations over a small shared key space, so that they collide all the time: one of
// stressContents contents (the same content under many pids) under one of stressPIDs pids
// (the same pid from several writers), with deletes racing stores of the same content:
//
//   - StoreObject with a pid: nil, ErrAlreadyTagged, ErrPIDTaggedElsewhere, or ErrInProgress
//     (the same pid being stored by another goroutine of the process);
//   - StoreObject without a pid, then TagObject (nil, ErrAlreadyTagged, ErrPIDTaggedElsewhere).
//     The API lets a cid be tagged whether or not its object exists (FORMAT.md 7.3), so a
//     DeleteObject of the last other pid of the content (or a DeleteIfInvalidObject) between
//     the untagged store and the tag legitimately leaves the new pid's object missing. After
//     a successful tag the worker looks (FindObject) and, if the object is missing, stores the
//     content again, as a client of the two-step protocol must (counted as
//     store_untagged_after_tag_race);
//   - StoreObject without a pid, then DeleteIfInvalidObject with a wrong checksum:
//     ErrChecksumMismatch (the object goes unless some pid references it);
//   - DeleteObject: nil or ErrNotFound;
//   - StoreMetadata, DeleteMetadata, DeleteAllMetadata: nil;
//   - RetrieveObject with Verify, reading to the end: the bytes of the content the pid names,
//     or ErrNotFound, or ErrOrphanRefs: readers take no lock, and a delete in progress renames
//     the object and the cid refs file away before the pid refs file, so a reader can see the
//     pid's references broken for that instant (as with the reference implementations).
//
// Any other outcome fails the test. Afterwards (in the parent): Audit with no grace finds no
// error class; every pid that exists reads back (Verify) exactly the bytes of the content
// whose cid it names; every line of every cid refs file is a pid whose pid refs file names
// that cid; every metadata document is one its pid's writers wrote.
//
// CI runs for stressCIDuration (a third of it with -short); -stress.duration=5m (or HASHSTORE_STRESS_DURATION=5m) soaks.

var stressDurationFlag = flag.Duration("stress.duration", 0, "how long the stress test runs (default 6s; env HASHSTORE_STRESS_DURATION)")

const (
	stressProcs      = 3
	stressGoroutines = 4
	stressContents   = 5
	stressPIDs       = 20
	stressCIDuration = 6 * time.Second
)

func stressContent(i int) []byte {
	sizes := []int{1, 700, 12 << 10, 300 << 10, 1<<20 + 123}
	r := rand.New(rand.NewPCG(42, uint64(i)))
	b := make([]byte, sizes[i])
	for j := range b {
		b[j] = byte(r.Uint32())
	}
	return b
}

func stressPID(i int) string { return fmt.Sprintf("urn:stress:pid/%02d", i) }

func stressDuration() time.Duration {
	if *stressDurationFlag > 0 {
		return *stressDurationFlag
	}
	if d, err := time.ParseDuration(os.Getenv("HASHSTORE_STRESS_DURATION")); err == nil && d > 0 {
		return d
	}
	if testing.Short() {
		return stressCIDuration / 3
	}
	return stressCIDuration
}

// stressWorker is one goroutine's state.
type stressWorker struct {
	s      *hashstore.FileHashStore
	r      *rand.Rand
	name   string
	data   [][]byte
	cids   []string
	counts map[string]int
	bad    []string
}

// outcome records the result of one operation, and whether it was one of those expected.
func (w *stressWorker) outcome(op string, err error, expected ...error) {
	kind := "ok"
	if err != nil {
		kind = hashstore.ErrorKind(err)
	}
	w.counts[op+":"+kind]++
	if err == nil {
		return
	}
	for _, e := range expected {
		if errors.Is(err, e) {
			return
		}
	}
	w.bad = append(w.bad, fmt.Sprintf("%s: unexpected %v", op, err))
}

func (w *stressWorker) step(ctx context.Context) {
	c := w.r.IntN(stressContents)
	pid := stressPID(w.r.IntN(stressPIDs))
	switch x := w.r.IntN(100); {
	case x < 28:
		meta, err := w.s.StoreObject(ctx, bytes.NewReader(w.data[c]), hashstore.WithPID(pid))
		w.outcome("store", err, hashstore.ErrAlreadyTagged, hashstore.ErrPIDTaggedElsewhere, hashstore.ErrInProgress)
		if (err == nil || errors.Is(err, hashstore.ErrAlreadyTagged)) && meta.CID != w.cids[c] {
			w.bad = append(w.bad, fmt.Sprintf("store: cid %s, want %s", meta.CID, w.cids[c]))
		}
	case x < 38:
		_, err := w.s.StoreObject(ctx, bytes.NewReader(w.data[c]))
		w.outcome("store_untagged", err)
		err = w.s.TagObject(ctx, pid, w.cids[c])
		w.outcome("tag", err, hashstore.ErrAlreadyTagged, hashstore.ErrPIDTaggedElsewhere)
		if err == nil {
			if _, ferr := w.s.FindObject(ctx, pid); errors.Is(ferr, hashstore.ErrObjectMissing) {
				// The race described at the top of this file (or a delete of pid in
				// progress): store the content again.
				_, err = w.s.StoreObject(ctx, bytes.NewReader(w.data[c]))
				w.outcome("store_untagged_after_tag_race", err)
			}
		}
	case x < 42:
		meta, err := w.s.StoreObject(ctx, bytes.NewReader(w.data[c]))
		w.outcome("store_untagged", err)
		if err == nil {
			err = w.s.DeleteIfInvalidObject(ctx, meta, strings.Repeat("0", 32), "MD5", meta.Size)
			if !errors.Is(err, hashstore.ErrChecksumMismatch) {
				w.bad = append(w.bad, fmt.Sprintf("delete invalid: %v", err))
			}
			w.counts["delete_invalid:checksum_mismatch"]++
		}
	case x < 60:
		w.outcome("delete", w.s.DeleteObject(ctx, pid), hashstore.ErrNotFound)
	case x < 70:
		f := hashstore.DefaultNamespace
		if w.r.IntN(2) == 0 {
			f = crashFmtEML
		}
		doc := fmt.Sprintf("<meta pid=%q writer=%q/>", pid, w.name)
		_, err := w.s.StoreMetadata(ctx, pid, strings.NewReader(doc), hashstore.WithFormatID(f))
		w.outcome("store_metadata", err)
	case x < 73:
		w.outcome("delete_metadata", w.s.DeleteMetadata(ctx, pid, crashFmtEML))
	case x < 76:
		w.outcome("delete_all_metadata", w.s.DeleteAllMetadata(ctx, pid))
	default:
		rd, err := w.s.RetrieveObject(ctx, pid, hashstore.WithVerify())
		if err == nil {
			var b []byte
			b, err = io.ReadAll(rd)
			rd.Close()
			// The verifying reader has checked that b hashes to the pid's cid; that cid must
			// be one of the contents the workers store.
			if sum := sha256.Sum256(b); err == nil && !slices.Contains(w.cids, hex.EncodeToString(sum[:])) {
				w.bad = append(w.bad, fmt.Sprintf("retrieve %q: %d bytes of no stored content (sha256 %x)", pid, len(b), sum))
			}
		}
		w.outcome("retrieve", err, hashstore.ErrNotFound, hashstore.ErrOrphanRefs)
	}
}

func stressCIDs() ([][]byte, []string) {
	var data [][]byte
	var cids []string
	for i := range stressContents {
		d := stressContent(i)
		sum := sha256.Sum256(d)
		data = append(data, d)
		cids = append(cids, hex.EncodeToString(sum[:]))
	}
	return data, cids
}

// stressReport is what a child prints at the end.
type stressReport struct {
	Counts     map[string]int `json:"counts"`
	Unexpected []string       `json:"unexpected"`
}

// TestStressChild is a process of TestStress; run directly, it skips.
func TestStressChild(t *testing.T) {
	if !isChild("TestStressChild") {
		t.Skip("a child process of TestStress")
	}
	proc, err := strconv.Atoi(os.Getenv("HASHSTORE_STRESS_PROC"))
	require.NoError(t, err)
	d, err := time.ParseDuration(os.Getenv("HASHSTORE_STRESS_FOR"))
	require.NoError(t, err)
	s, err := hashstore.Open(os.Getenv("HASHSTORE_STRESS_ROOT"))
	require.NoError(t, err)
	data, cids := stressCIDs()
	ctx := context.Background()
	deadline := time.Now().Add(d)
	rep := stressReport{Counts: map[string]int{}}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for g := range stressGoroutines {
		w := &stressWorker{s: s, r: rand.New(rand.NewPCG(uint64(proc), uint64(g))), name: fmt.Sprintf("%d/%d", proc, g),
			data: data, cids: cids, counts: map[string]int{}}
		wg.Go(func() {
			for time.Now().Before(deadline) {
				w.step(ctx)
			}
			mu.Lock()
			defer mu.Unlock()
			for k, n := range w.counts {
				rep.Counts[k] += n
			}
			rep.Unexpected = append(rep.Unexpected, w.bad...)
		})
	}
	wg.Wait()
	b, err := json.Marshal(rep)
	require.NoError(t, err)
	fmt.Printf("stress: %s\n", b)
}

// TestStress is the stress test described at the top of this file.
func TestStress(t *testing.T) {
	d := stressDuration()
	root := filepath.Join(t.TempDir(), "store")
	_, err := hashstore.New(root, hashstore.DefaultConfig())
	require.NoError(t, err)
	start := time.Now()
	type child struct {
		out, errOut bytes.Buffer
		err         error
	}
	children := make([]*child, stressProcs)
	var wg sync.WaitGroup
	for i := range children {
		c := &child{}
		children[i] = c
		cmd := childCommand(t, "TestStressChild", map[string]string{
			"HASHSTORE_STRESS_PROC": fmt.Sprint(i), "HASHSTORE_STRESS_FOR": d.String(), "HASHSTORE_STRESS_ROOT": root,
		})
		cmd.Stdout, cmd.Stderr = &c.out, &c.errOut
		require.NoError(t, cmd.Start())
		wg.Go(func() { c.err = cmd.Wait() })
	}
	wg.Wait()
	total := map[string]int{}
	ops := 0
	for i, c := range children {
		var rep stressReport
		found := false
		for _, line := range strings.Split(c.out.String(), "\n") {
			if js, ok := strings.CutPrefix(line, "stress: "); ok {
				require.NoError(t, json.Unmarshal([]byte(js), &rep))
				found = true
			}
		}
		require.NoError(t, c.err, "process %d failed:\n%s\n%s", i, c.out.String(), c.errOut.String())
		require.True(t, found, "process %d printed no report:\n%s", i, c.out.String())
		assert.Empty(t, rep.Unexpected, "process %d: unexpected outcomes", i)
		for k, n := range rep.Counts {
			total[k] += n
			ops += n
		}
	}
	keys := make([]string, 0, len(total))
	for k := range total {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, " %s=%d", k, total[k])
	}
	t.Logf("stress: %d processes x %d goroutines for %v: %d operations (%.0f/s):%s",
		stressProcs, stressGoroutines, d, ops, float64(ops)/time.Since(start).Seconds(), b.String())

	stressVerify(t, root)
	t.Logf("stress: run and verification took %v", time.Since(start).Round(time.Millisecond))
}

// stressVerify checks the store the stress processes left.
func stressVerify(t *testing.T, root string) {
	ctx := t.Context()
	s, err := hashstore.Open(root)
	require.NoError(t, err)
	found, sum := rbAudit(t, s, false)
	classes := map[string]int{}
	for _, f := range found {
		classes[strings.Fields(f)[0]]++
	}
	t.Logf("stress: audit of %d files: %v", sum.Files, classes)
	require.Zero(t, sum.Errors, "audit: %v", found)

	data, cids := stressCIDs()
	index := map[string]int{}
	for i, c := range cids {
		index[c] = i
	}
	tagged := map[string]string{}
	for i := range stressPIDs {
		pid := stressPID(i)
		info, err := s.FindObject(ctx, pid)
		if errors.Is(err, hashstore.ErrNotFound) {
			continue
		}
		require.NoError(t, err, "pid %q", pid)
		c, ok := index[info.CID]
		require.True(t, ok, "pid %q names cid %s, no content's", pid, info.CID)
		tagged[pid] = info.CID
		rd, err := s.RetrieveObject(ctx, pid, hashstore.WithVerify())
		require.NoError(t, err)
		b, err := io.ReadAll(rd)
		rd.Close()
		require.NoError(t, err, "pid %q", pid)
		assert.True(t, bytes.Equal(data[c], b), "pid %q reads back other bytes than content %d", pid, c)
		for _, f := range []string{hashstore.DefaultNamespace, crashFmtEML} {
			rd, err := s.RetrieveMetadata(ctx, pid, hashstore.WithFormatID(f))
			if errors.Is(err, hashstore.ErrNotFound) {
				continue
			}
			require.NoError(t, err)
			b, _ := io.ReadAll(rd)
			rd.Close()
			assert.True(t, strings.HasPrefix(string(b), fmt.Sprintf("<meta pid=%q writer=", pid)), "metadata of %q: %q", pid, b)
		}
	}
	assert.Equal(t, len(tagged), countFiles(t, afero.NewOsFs(), root, "refs/pids"), "pid refs files")
	// Every line of every cid refs file has its pid refs file naming that cid.
	cidDir := filepath.Join(root, "refs", "cids")
	lines := 0
	require.NoError(t, filepath.WalkDir(cidDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(cidDir, p)
		cid := strings.ReplaceAll(filepath.ToSlash(rel), "/", "")
		b, err := os.ReadFile(p)
		require.NoError(t, err)
		for _, pid := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
			lines++
			assert.Equal(t, cid, tagged[pid], "cid refs %s lists %q", cid, pid)
		}
		return nil
	}))
	assert.Equal(t, len(tagged), lines, "cid refs lines")
	t.Logf("stress: at the end %d pids tagged, %d objects", len(tagged), len(objectCIDs(t, afero.NewOsFs(), root)))
}
