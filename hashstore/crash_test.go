package hashstore_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/spf13/afero"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hashstore-go/hashstore/converter"
	"github.com/hashstore-go/hashstore/hashstore"
	"github.com/hashstore-go/hashstore/hashstore/hashstoretest"
)

// The crash tests kill a real process in the middle of its work. The test binary re-executes
// itself as a child (TestCrashChild) that runs a seeded sequence of operations on a store on
// the OS filesystem (fsync on, the default; cross-process locks on), printing "begin N" before
// each operation starts and "done N" once it has returned success. The child starts each
// operation when the parent says so, and the parent kills it with SIGKILL at a seeded point: a
// seeded fraction of the median time operations of that kind have taken in the children so
// far, into a seeded operation (three times out of four one that changes several files:
// store, tag, convert, delete); or, in one run out of eight, 0-60 ms into the large store.
// Then, in the parent:
//
//  1. Open the store, Audit with Repair (no temp grace: nothing is writing), and Audit again,
//     which must find no error class.
//  2. Replay the operations reported done in a model, and check that the store holds exactly
//     the model's state: every tagged pid reads back its bytes (RetrieveObject with Verify),
//     every other pid is not found, every metadata document is present with its content or
//     absent, and no other object, pid refs, cid refs or metadata file exists. What the
//     operation in flight (begun, not done) touches may be as before it, as after it, or as a
//     retry is documented to finish (a half-done delete), so it is checked loosely here:
//     its pid is fully tagged or not found (never broken), its documents hold the old or the
//     new content or are gone, its object is there or not.
//  3. Retry the operation in flight. It must succeed, or report the idempotent outcome the API
//     promises for work that completed before the kill: StoreObject and TagObject may report
//     ErrAlreadyTagged (the pid refs file, the last step, was written) and DeleteObject
//     ErrNotFound (the pid refs file was renamed away, or the audit removed it as the tail of
//     an interrupted delete). Every other operation (metadata, untagged store, Convert, which
//     treats an already tagged pid as done) must return nil. The store must then be exactly
//     the model's with that operation applied.
//  4. Run the rest of the sequence in the parent (the store keeps working), and check the
//     final state and a clean audit.
//
// The sequence mixes StoreObject with a pid, StoreObject without one followed by TagObject,
// StoreMetadata in two formats, DeleteMetadata, DeleteAllMetadata, DeleteObject, the same
// content under several pids (a pool of eight contents), converter.Convert of files from a
// source directory (hard links plus system metadata), and one large (8 MiB) store.
//
// CI runs 40 seeds (10 with -short); -crash.seeds=N (or HASHSTORE_CRASH_SEEDS=N) runs more, and
// -crash.seed=S (HASHSTORE_CRASH_SEED=S) runs one seed to reproduce a failure. The sequence
// and the kill point are seeded; where exactly in the operation the kill lands is up to the
// scheduler.

var (
	crashSeedsFlag = flag.Int("crash.seeds", 0, "number of crash-test seeds (default 40; env HASHSTORE_CRASH_SEEDS)")
	crashSeedFlag  = flag.Int64("crash.seed", 0, "run only this crash-test seed (env HASHSTORE_CRASH_SEED)")
)

const (
	crashPoolSize  = 8
	crashLargeSize = 8 << 20
	crashOps       = 36
	crashFmtEML    = "eml://ecoinformatics.org/eml-2.1.1"
	crashParallel  = 4 // seeds run at once
)

// crashOp is one operation of a sequence.
type crashOp struct {
	Kind    string // store, untagged, tag, meta, delmeta, delallmeta, delete, convert, large
	PID     string
	Content int    // index into the content pool (crashPoolSize is the large content)
	Format  string // meta, delmeta
	Doc     string // meta
}

func (o crashOp) String() string {
	return fmt.Sprintf("%s pid=%q content=%d format=%q", o.Kind, o.PID, o.Content, o.Format)
}

// crashContents caches crashContent's results (generating 8 MiB is slow under -race).
var crashContents sync.Map // [2]int64{seed, i} -> []byte

// crashContent is content i of a seed's pool: deterministic bytes of a seeded size, or the
// large content. The caller must not modify it.
func crashContent(seed int64, i int) []byte {
	key := [2]int64{seed, int64(i)}
	if b, ok := crashContents.Load(key); ok {
		return b.([]byte)
	}
	b, _ := crashContents.LoadOrStore(key, makeCrashContent(seed, i))
	return b.([]byte)
}

func makeCrashContent(seed int64, i int) []byte {
	r := rand.New(rand.NewPCG(uint64(seed), uint64(i)+1000))
	n := 1 + r.IntN(64<<10)
	if i == crashPoolSize {
		n = crashLargeSize
	}
	b := make([]byte, n)
	for j := 0; j < n; j += 8 {
		v := r.Uint64()
		for k := 0; k < 8 && j+k < n; k++ {
			b[j+k] = byte(v >> (8 * k))
		}
	}
	return b
}

func crashSysmeta(pid string, data []byte) []byte {
	sum := sha256.Sum256(data)
	return fmt.Appendf(nil, `<?xml version="1.0" encoding="UTF-8"?>
<d1:systemMetadata xmlns:d1="http://ns.dataone.org/service/types/v2.0">
  <serialVersion>1</serialVersion>
  <identifier>%s</identifier>
  <formatId>application/octet-stream</formatId>
  <size>%d</size>
  <checksum algorithm="SHA-256">%s</checksum>
  <submitter>CN=test</submitter>
  <rightsHolder>CN=test</rightsHolder>
</d1:systemMetadata>
`, pid, len(data), hex.EncodeToString(sum[:]))
}

// crashModel is the state a sequence of successful operations leaves.
type crashModel struct {
	pids    map[string]int       // tagged pid -> content
	objects map[int]bool         // contents whose object exists
	meta    map[[2]string]string // (pid, format) -> document
}

func newCrashModel() *crashModel {
	return &crashModel{pids: map[string]int{}, objects: map[int]bool{}, meta: map[[2]string]string{}}
}

func (m *crashModel) apply(seed int64, op crashOp) {
	switch op.Kind {
	case "store", "large":
		m.pids[op.PID] = op.Content
		m.objects[op.Content] = true
	case "convert":
		m.pids[op.PID] = op.Content
		m.objects[op.Content] = true
		m.meta[[2]string{op.PID, hashstore.DefaultNamespace}] = string(crashSysmeta(op.PID, crashContent(seed, op.Content)))
	case "untagged":
		m.objects[op.Content] = true
	case "tag":
		m.pids[op.PID] = op.Content
	case "meta":
		m.meta[[2]string{op.PID, op.Format}] = op.Doc
	case "delmeta":
		delete(m.meta, [2]string{op.PID, op.Format})
	case "delallmeta":
		m.dropMeta(op.PID)
	case "delete":
		c := m.pids[op.PID]
		delete(m.pids, op.PID)
		m.dropMeta(op.PID)
		shared := false
		for _, d := range m.pids {
			shared = shared || d == c
		}
		if !shared {
			delete(m.objects, c)
		}
	}
}

func (m *crashModel) dropMeta(pid string) {
	for k := range m.meta {
		if k[0] == pid {
			delete(m.meta, k)
		}
	}
}

// crashSequence generates a seed's operations; every one is valid in the state the ones
// before it leave, so each succeeds when run in order.
func crashSequence(seed int64) []crashOp {
	r := rand.New(rand.NewPCG(uint64(seed), 1))
	m := newCrashModel()
	var ops []crashOp
	next := 0
	var deleted []string
	newPID := func() string {
		if len(deleted) > 0 && r.IntN(4) == 0 { // a pid used again after its delete
			i := r.IntN(len(deleted))
			p := deleted[i]
			deleted = append(deleted[:i], deleted[i+1:]...)
			return p
		}
		next++
		return fmt.Sprintf("doi:10.5063/crash.%d.%d", seed, next)
	}
	var used []string
	add := func(op crashOp) {
		ops = append(ops, op)
		m.apply(seed, op)
		if op.PID != "" && !contains(used, op.PID) {
			used = append(used, op.PID)
		}
	}
	tagged := func() []string {
		var out []string
		for p := range m.pids {
			out = append(out, p)
		}
		sort.Strings(out)
		return out
	}
	largeAt := 3 + r.IntN(crashOps-6)
	for len(ops) < crashOps {
		if len(ops) >= largeAt {
			add(crashOp{Kind: "large", PID: newPID(), Content: crashPoolSize})
			largeAt = 1 << 30
			continue
		}
		c := r.IntN(crashPoolSize)
		switch x := r.IntN(100); {
		case x < 22:
			add(crashOp{Kind: "store", PID: newPID(), Content: c})
		case x < 34:
			pid := newPID()
			add(crashOp{Kind: "untagged", Content: c})
			add(crashOp{Kind: "tag", PID: pid, Content: c})
		case x < 50 && len(used) > 0:
			f := hashstore.DefaultNamespace
			if r.IntN(2) == 0 {
				f = crashFmtEML
			}
			add(crashOp{Kind: "meta", PID: used[r.IntN(len(used))], Format: f, Doc: fmt.Sprintf("<doc seed=%d n=%d/>", seed, len(ops))})
		case x < 56 && len(m.meta) > 0:
			var keys [][2]string
			for k := range m.meta {
				keys = append(keys, k)
			}
			sort.Slice(keys, func(i, j int) bool { return keys[i][0]+keys[i][1] < keys[j][0]+keys[j][1] })
			k := keys[r.IntN(len(keys))]
			add(crashOp{Kind: "delmeta", PID: k[0], Format: k[1]})
		case x < 60 && len(used) > 0:
			add(crashOp{Kind: "delallmeta", PID: used[r.IntN(len(used))]})
		case x < 76 && len(m.pids) > 0:
			ps := tagged()
			p := ps[r.IntN(len(ps))]
			add(crashOp{Kind: "delete", PID: p, Content: m.pids[p]})
			deleted = append(deleted, p)
		case x < 92:
			add(crashOp{Kind: "convert", PID: newPID(), Content: c})
		}
	}
	return ops
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// crashSource is the source file op i of a sequence converts.
func crashSource(dir string, i int) string { return filepath.Join(dir, fmt.Sprintf("src-%03d", i)) }

// crashRun runs op i.
func crashRun(ctx context.Context, s *hashstore.FileHashStore, seed int64, srcDir string, i int, op crashOp) error {
	data := crashContent(seed, op.Content)
	switch op.Kind {
	case "store", "large":
		_, err := s.StoreObject(ctx, bytes.NewReader(data), hashstore.WithPID(op.PID))
		return err
	case "untagged":
		_, err := s.StoreObject(ctx, bytes.NewReader(data))
		return err
	case "tag":
		sum := sha256.Sum256(data)
		return s.TagObject(ctx, op.PID, hex.EncodeToString(sum[:]))
	case "meta":
		_, err := s.StoreMetadata(ctx, op.PID, strings.NewReader(op.Doc), hashstore.WithFormatID(op.Format))
		return err
	case "delmeta":
		return s.DeleteMetadata(ctx, op.PID, op.Format)
	case "delallmeta":
		return s.DeleteAllMetadata(ctx, op.PID)
	case "delete":
		return s.DeleteObject(ctx, op.PID)
	case "convert":
		_, err := converter.New(s, hashstore.LinkFile).Convert(ctx, crashSource(srcDir, i), op.PID, crashSysmeta(op.PID, data))
		return err
	}
	return fmt.Errorf("unknown op %q", op.Kind)
}

// crashRetryOK reports whether err is an accepted outcome of retrying op after a crash.
func crashRetryOK(op crashOp, err error) bool {
	switch {
	case err == nil:
		return true
	case op.Kind == "store" || op.Kind == "large" || op.Kind == "tag":
		return errors.Is(err, hashstore.ErrAlreadyTagged)
	case op.Kind == "delete":
		return errors.Is(err, hashstore.ErrNotFound)
	}
	return false
}

func openStore(t testing.TB, root string) *hashstore.FileHashStore {
	t.Helper()
	s, err := hashstore.Open(root)
	require.NoError(t, err)
	return s
}

// TestCrashChild is the child process of TestCrash; run directly, it skips.
func TestCrashChild(t *testing.T) {
	if !isChild("TestCrashChild") {
		t.Skip("the child process of TestCrash")
	}
	seed, err := strconv.ParseInt(os.Getenv("HASHSTORE_CRASH_CHILD_SEED"), 10, 64)
	require.NoError(t, err)
	root, srcDir := os.Getenv("HASHSTORE_CRASH_ROOT"), os.Getenv("HASHSTORE_CRASH_SRC")
	s := openStore(t, root)
	ctx := context.Background()
	in := bufio.NewReader(os.Stdin)
	fmt.Fprintln(os.Stdout, "crash: ready")
	for i, op := range crashSequence(seed) {
		// Each operation starts when the parent says so, so that however busy the parent is,
		// its kill lands the chosen delay into the chosen operation.
		if _, err := in.ReadString('\n'); err != nil {
			os.Exit(4)
		}
		fmt.Fprintf(os.Stdout, "crash: begin %d %v\n", i, op)
		start := time.Now()
		if err := crashRun(ctx, s, seed, srcDir, i, op); err != nil {
			fmt.Fprintf(os.Stdout, "crash: fail %d %v\n", i, err)
			os.Exit(3)
		}
		fmt.Fprintf(os.Stdout, "crash: done %d %d\n", i, time.Since(start).Microseconds())
	}
	fmt.Fprintln(os.Stdout, "crash: finished")
}

// crashStats collects what the runs saw, for the log.
type crashStats struct {
	mu        sync.Mutex
	runs      int
	inFlight  map[string]int             // kind of the operation killed in flight
	between   int                        // killed between two operations
	completed int                        // the child finished before the kill
	repaired  map[string]int             // audit repairs, by class
	retries   map[string]int             // retry outcomes
	took      map[string][]time.Duration // recent durations of operations, by kind
}

// observe records how long an operation of a kind took in a child.
func (c *crashStats) observe(kind string, d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.took[kind] = append(c.took[kind], d)
	if n := len(c.took[kind]); n > 64 {
		c.took[kind] = c.took[kind][n-64:]
	}
}

// duration is how long an operation of a kind takes in a child: the median of the last few
// seen (fsync times have a long tail), or 4 ms before any was seen.
func (c *crashStats) duration(kind string) time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.took[kind]) == 0 {
		return 4 * time.Millisecond
	}
	ds := append([]time.Duration{}, c.took[kind]...)
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	return ds[len(ds)/2]
}

func (c *crashStats) add(f func()) {
	c.mu.Lock()
	defer c.mu.Unlock()
	f()
}

func crashSeeds() (seeds []int64) {
	if *crashSeedFlag != 0 {
		return []int64{*crashSeedFlag}
	}
	if s, err := strconv.ParseInt(os.Getenv("HASHSTORE_CRASH_SEED"), 10, 64); err == nil {
		return []int64{s}
	}
	n := 40
	if testing.Short() {
		n = 10
	}
	if *crashSeedsFlag > 0 {
		n = *crashSeedsFlag
	} else if v, err := strconv.Atoi(os.Getenv("HASHSTORE_CRASH_SEEDS")); err == nil && v > 0 {
		n = v
	}
	for i := 1; i <= n; i++ {
		seeds = append(seeds, int64(i))
	}
	return seeds
}

// TestCrash is the crash test described at the top of this file.
func TestCrash(t *testing.T) {
	st := &crashStats{inFlight: map[string]int{}, repaired: map[string]int{}, retries: map[string]int{},
		took: map[string][]time.Duration{}}
	start := time.Now()
	t.Run("seeds", func(t *testing.T) {
		// The runs wait on fsyncs more than they compute: run more of them than there are
		// cores (t.Parallel would allow only -test.parallel, GOMAXPROCS by default).
		seeds := make(chan int64)
		var wg sync.WaitGroup
		for range crashParallel {
			wg.Go(func() {
				for seed := range seeds {
					t.Run(fmt.Sprint(seed), func(t *testing.T) { crashOne(t, seed, st) })
				}
			})
		}
		for _, seed := range crashSeeds() {
			seeds <- seed
		}
		close(seeds)
		wg.Wait()
	})
	t.Logf("crash test: %d kills in %v; in flight: %v; between operations: %d; child finished first: %d",
		st.runs, time.Since(start).Round(time.Millisecond), st.inFlight, st.between, st.completed)
	t.Logf("audit repairs after the kills: %v; retries of the operation in flight: %v", st.repaired, st.retries)
	var took []string
	for k := range st.took {
		took = append(took, fmt.Sprintf("%s=%v", k, st.duration(k).Round(10*time.Microsecond)))
	}
	sort.Strings(took)
	t.Logf("median duration of the operations in the children: %s", strings.Join(took, " "))
}

func crashOne(t *testing.T, seed int64, st *crashStats) {
	ctx := t.Context()
	dir := t.TempDir()
	root, srcDir := filepath.Join(dir, "store"), filepath.Join(dir, "src")
	ops := crashSequence(seed)
	require.NoError(t, os.Mkdir(srcDir, 0o755))
	for i, op := range ops {
		if op.Kind == "convert" {
			require.NoError(t, os.WriteFile(crashSource(srcDir, i), crashContent(seed, op.Content), 0o644))
		}
	}
	_, err := hashstore.New(root, hashstore.DefaultConfig())
	require.NoError(t, err)

	// The kill point.
	r := rand.New(rand.NewPCG(uint64(seed), 2))
	largeKill := r.IntN(8) == 0
	target := r.IntN(len(ops) + 1) // kill after this many "done" lines
	if r.IntN(4) != 0 {
		// Three times out of four, in an operation that changes several files (where the
		// ordering of the steps matters) rather than in any.
		var multi []int
		for i, op := range ops {
			switch op.Kind {
			case "store", "tag", "convert", "delete":
				multi = append(multi, i)
			}
		}
		target = multi[r.IntN(len(multi))]
	}
	frac := r.Float64() // this far into the operation
	var delay time.Duration
	if largeKill {
		delay = time.Duration(r.IntN(60)) * time.Millisecond
	} else if target < len(ops) {
		delay = time.Duration(frac * float64(st.duration(ops[target].Kind)))
	}

	cmd := childCommand(t, "TestCrashChild", map[string]string{
		"HASHSTORE_CRASH_CHILD_SEED": fmt.Sprint(seed), "HASHSTORE_CRASH_ROOT": root, "HASHSTORE_CRASH_SRC": srcDir,
	})
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	require.NoError(t, cmd.Start())
	var lines []string
	killed := false
	kill := func() {
		if !killed {
			killed = true
			time.Sleep(delay)
			_ = cmd.Process.Signal(syscall.SIGKILL)
		}
	}
	dones := 0
	for line := range childLines(stdout) {
		line, ok := strings.CutPrefix(line, "crash: ")
		if !ok {
			continue
		}
		lines = append(lines, line)
		if f := strings.Fields(line); f[0] == "done" && len(f) == 3 {
			dones++
			i, _ := strconv.Atoi(f[1])
			us, _ := strconv.Atoi(f[2])
			st.observe(ops[i].Kind, time.Duration(us)*time.Microsecond)
		}
		switch {
		case line == "ready" || strings.HasPrefix(line, "done "):
			if killed {
				break
			}
			_, _ = io.WriteString(stdin, "go\n") // start the next operation
			if !largeKill && dones == target {
				kill()
			}
		case largeKill && strings.HasPrefix(line, "begin ") && strings.Contains(line, " large "):
			kill()
		}
	}
	stdin.Close()
	werr := cmd.Wait()

	// What the child reported.
	done, inflight := 0, -1
	finished := false
	for _, l := range lines {
		f := strings.Fields(l)
		switch f[0] {
		case "begin":
			i, _ := strconv.Atoi(f[1])
			require.Equal(t, done, i, "begun out of order")
			inflight = i
		case "done":
			i, _ := strconv.Atoi(f[1])
			require.Equal(t, inflight, i, "done without begin")
			done, inflight = i+1, -1
		case "fail":
			t.Fatalf("seed %d: the child failed: %s\nstderr: %s", seed, l, stderr.String())
		case "finished":
			finished = true
		}
	}
	if !finished {
		require.Error(t, werr, "the child stopped early without being killed\nstderr: %s", stderr.String())
		var ee interface{ ExitCode() int }
		require.True(t, errors.As(werr, &ee))
		require.Equal(t, -1, ee.ExitCode(), "the child was killed by a signal: %v\nstderr: %s", werr, stderr.String())
	}
	st.add(func() {
		st.runs++
		switch {
		case finished:
			st.completed++
		case inflight >= 0:
			st.inFlight[ops[inflight].Kind]++
		default:
			st.between++
		}
	})
	desc := fmt.Sprintf("seed %d: %d of %d operations done", seed, done, len(ops))
	if inflight >= 0 {
		desc += fmt.Sprintf(", killed during %d (%v)", inflight, ops[inflight])
	}
	t.Log(desc)

	// 1. Open, repair, audit.
	s := openStore(t, root)
	repaired, _ := rbAudit(t, s, true)
	st.add(func() {
		for _, k := range repaired {
			if strings.HasSuffix(k, "(repaired)") {
				st.repaired[strings.Fields(k)[0]]++
			}
		}
	})
	after, sum := rbAudit(t, s, false)
	require.Zero(t, sum.Errors, "%s: the audit after repair still finds errors: %v (repairs: %v)%s", desc, after, repaired, rbAuditDetails(t, s))

	// 2. Everything reported done is visible.
	m := newCrashModel()
	for _, op := range ops[:done] {
		m.apply(seed, op)
	}
	var skip *crashOp
	if inflight >= 0 {
		skip = &ops[inflight]
	}
	crashVerify(t, s, seed, ops, m, skip, desc+", before the retry")

	// 3. The operation in flight can be retried.
	if inflight >= 0 {
		op := ops[inflight]
		err := crashRun(ctx, s, seed, srcDir, inflight, op)
		require.True(t, crashRetryOK(op, err), "%s: retry: %v", desc, err)
		outcome := "nil"
		if err != nil {
			outcome = hashstore.ErrorKind(err)
		}
		st.add(func() { st.retries[op.Kind+":"+outcome]++ })
		m.apply(seed, op)
		crashVerify(t, s, seed, ops, m, nil, desc+", after the retry")
		done = inflight + 1
	}

	// 4. The rest of the sequence runs on the recovered store.
	for i := done; i < len(ops); i++ {
		require.NoError(t, crashRun(ctx, s, seed, srcDir, i, ops[i]), "%s: op %d (%v) after recovery", desc, i, ops[i])
		m.apply(seed, ops[i])
	}
	crashVerify(t, s, seed, ops, m, nil, desc+", at the end")
	found, sum := rbAudit(t, s, false)
	require.Zero(t, sum.Errors, "%s: final audit: %v", desc, found)
}

// crashVerify checks that the store holds exactly the model's state. What skip (the operation
// in flight) touches is checked loosely (see the top of this file).
func crashVerify(t *testing.T, s *hashstore.FileHashStore, seed int64, ops []crashOp, m *crashModel, skip *crashOp, desc string) {
	t.Helper()
	ctx := t.Context()
	cidOf := map[string]int{}
	for c := 0; c <= crashPoolSize; c++ {
		sum := sha256.Sum256(crashContent(seed, c))
		cidOf[hex.EncodeToString(sum[:])] = c
	}
	var pids []string
	for _, op := range ops {
		if op.PID != "" && !contains(pids, op.PID) {
			pids = append(pids, op.PID)
		}
	}
	touchesPID := func(p string) bool {
		return skip != nil && skip.PID == p && skip.Kind != "meta" && skip.Kind != "delmeta" && skip.Kind != "delallmeta"
	}
	touchesMeta := func(p, f string) bool {
		if skip == nil || skip.PID != p {
			return false
		}
		switch skip.Kind {
		case "meta", "delmeta":
			return skip.Format == f
		case "delallmeta", "delete":
			return true
		case "convert":
			return f == hashstore.DefaultNamespace
		}
		return false
	}
	pidFiles, cids, metaFiles := 0, map[string]bool{}, 0
	for _, p := range pids {
		info, err := s.FindObject(ctx, p)
		c, tagged := m.pids[p]
		switch {
		case err == nil:
			pidFiles++
			cids[info.CID] = true
			got, ok := cidOf[info.CID]
			if !assert.True(t, ok, "%s: pid %q names an unknown cid %s", desc, p, info.CID) {
				continue
			}
			if !touchesPID(p) {
				assert.True(t, tagged, "%s: pid %q exists but was deleted or never stored", desc, p)
				assert.Equal(t, c, got, "%s: pid %q names the wrong content", desc, p)
			}
			rd, err := s.RetrieveObject(ctx, p, hashstore.WithVerify())
			if assert.NoError(t, err, "%s: retrieve %q", desc, p) {
				b, err := io.ReadAll(rd)
				rd.Close()
				assert.NoError(t, err, "%s: read %q", desc, p)
				assert.True(t, bytes.Equal(crashContent(seed, got), b), "%s: pid %q reads back other bytes", desc, p)
			}
		case errors.Is(err, hashstore.ErrNotFound):
			assert.True(t, !tagged || touchesPID(p), "%s: pid %q was stored but is not found", desc, p)
		default:
			t.Errorf("%s: pid %q: %v", desc, p, err)
		}
		for _, f := range []string{hashstore.DefaultNamespace, crashFmtEML} {
			want, has := m.meta[[2]string{p, f}]
			rd, err := s.RetrieveMetadata(ctx, p, hashstore.WithFormatID(f))
			switch {
			case err == nil:
				metaFiles++
				b, _ := io.ReadAll(rd)
				rd.Close()
				if touchesMeta(p, f) {
					newDoc := skip.Doc
					if skip.Kind == "convert" {
						newDoc = string(crashSysmeta(p, crashContent(seed, skip.Content)))
					}
					assert.True(t, string(b) == want || string(b) == newDoc, "%s: metadata %q %q holds %q", desc, p, f, b)
				} else {
					assert.True(t, has, "%s: metadata %q %q exists but was deleted or never stored", desc, p, f)
					assert.Equal(t, want, string(b), "%s: metadata %q %q", desc, p, f)
				}
			case errors.Is(err, hashstore.ErrNotFound):
				assert.True(t, !has || touchesMeta(p, f), "%s: metadata %q %q was stored but is not found", desc, p, f)
			default:
				t.Errorf("%s: metadata %q %q: %v", desc, p, f, err)
			}
		}
	}
	root, fsys := s.Root(), afero.NewOsFs()
	assert.Equal(t, pidFiles, countFiles(t, fsys, root, "refs/pids"), "%s: pid refs files", desc)
	assert.Equal(t, len(cids), countFiles(t, fsys, root, "refs/cids"), "%s: cid refs files", desc)
	assert.Equal(t, metaFiles, countFiles(t, fsys, root, "metadata"), "%s: metadata documents", desc)
	for cid := range objectCIDs(t, fsys, root) {
		c, ok := cidOf[cid]
		if !assert.True(t, ok, "%s: unknown object %s", desc, cid) {
			continue
		}
		if !(skip != nil && skip.Content == c && skip.Kind != "meta" && skip.Kind != "delmeta" && skip.Kind != "delallmeta") {
			assert.True(t, m.objects[c], "%s: object of content %d exists but should not", desc, c)
		}
	}
	objs := objectCIDs(t, fsys, root)
	for c := range m.objects {
		sum := sha256.Sum256(crashContent(seed, c))
		cid := hex.EncodeToString(sum[:])
		if !(skip != nil && skip.Content == c && (skip.Kind == "delete")) {
			assert.True(t, objs[cid], "%s: object of content %d is missing", desc, c)
		}
	}
}

// TestCrashRepairInterruptedTagBesidePrefixPID is the state in which the crash test found the
// audit unable to repair: a tag of "x.14" killed after its line was added to the cid refs file
// (no pid refs file yet), on content already tagged with "x.1". The line is not "x.1" and "4"
// glued together (FORMAT.md 4.3), since "x.1" has its own line, so repair removes it.
func TestCrashRepairInterruptedTagBesidePrefixPID(t *testing.T) {
	root := filepath.Join(t.TempDir(), "store")
	s, err := hashstore.New(root, hashstore.DefaultConfig())
	require.NoError(t, err)
	meta, err := s.StoreObject(t.Context(), strings.NewReader("content"), hashstore.WithPID("doi:10.5063/x.1"))
	require.NoError(t, err)
	f, err := os.OpenFile(filepath.Join(root, hashstoretest.CIDRefsPath(meta.CID)), os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = f.WriteString("doi:10.5063/x.14\n")
	require.NoError(t, err)
	require.NoError(t, f.Close())

	found, _ := rbAudit(t, s, true)
	assert.Equal(t, []string{"orphan_cid_refs_entry refs/cids/" + strings.Join([]string{meta.CID[:2], meta.CID[2:4], meta.CID[4:6], meta.CID[6:]}, "/") + " (repaired)"}, found)
	found, sum := rbAudit(t, s, false)
	assert.True(t, sum.Clean, "%v", found)
	b, err := os.ReadFile(filepath.Join(root, hashstoretest.CIDRefsPath(meta.CID)))
	require.NoError(t, err)
	assert.Equal(t, "doi:10.5063/x.1\n", string(b))
	require.NoError(t, s.TagObject(t.Context(), "doi:10.5063/x.14", meta.CID))
}
