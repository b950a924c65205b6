package converter_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"math/rand/v2"
	"path"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spf13/afero"
	"github.com/stretchr/testify/require"

	"github.com/hashstore-go/hashstore/converter"
	"github.com/hashstore-go/hashstore/hashstore"
	"github.com/hashstore-go/hashstore/hashstore/hashstoretest"
	"github.com/hashstore-go/hashstore/internal/crashfs"
)

// The power-cut tests of bulk runs: a whole import runs on a simulated disk (crashfs) that
// loses, at a power cut, whatever was not flushed, in any way a POSIX file system may. The run
// is cut at every flush boundary and at a sample of its writes, the disk crashes under several
// policies, and a second run with the same journal completes the work. Then nothing the journal
// claimed before the crash may be missing, nothing corrupt may be visible, the audit must be
// clean and the outputs and the store must be those of an uninterrupted run.
//
// The bulk runs import (hashstore.CopyFile): crashfs has no hard links, so convert's linking
// cannot run on it.

// Where the runs put things on the simulated disk.
const (
	pcStore = "/store"
	pcSrc   = "/src"
	pcOut   = "/out"
	// pcBatch is the number of objects per commit (BulkOptions.CheckpointRecords): small, so
	// that a run has several commits.
	pcBatch = 4
)

// pcObject is one entry of the corpus and what the store must hold for it.
type pcObject struct {
	entry converter.Entry
	data  []byte // nil for the sysmeta-only entry
	fails bool   // its sysmeta's checksum does not match its data
}

// pcCorpus is the source of every bulk power-cut run: 24 small objects with sysmeta documents,
// then a sysmeta-only entry. Some entries share their content with an earlier one (pcSame),
// mostly one of an earlier commit, so that the store's refs file of a durable object is
// rewritten; two entries fail, their sysmeta's checksum not matching their data (one of them
// with the content of a good entry); one object is empty, and so is one that shares it.
func pcCorpus() []pcObject {
	const n = 24
	var out []pcObject
	for i := range n {
		pid := fmt.Sprintf("pc.%02d", i)
		c := i
		if earlier, ok := pcSame[i]; ok {
			c = earlier
		}
		data := pcContent(c)
		sum := hexMD5(data)
		fails := i == 8 || i == 17
		if fails {
			sum = hexMD5(append(slices.Clone(data), '!'))
		}
		e := converter.Entry{Line: int64(i + 1), Offset: -1, PID: pid, Path: path.Join(pcSrc, pid),
			Sysmeta: sysmetaDoc(pid, int64(len(data)), "MD5", sum)}
		out = append(out, pcObject{entry: e, data: data, fails: fails})
	}
	smOnly := "pc.sysmeta-only"
	out = append(out, pcObject{entry: converter.Entry{Line: n + 1, Offset: -1, PID: smOnly,
		Sysmeta: sysmetaDoc(smOnly, 3, "MD5", hexMD5([]byte("abc")))}})
	return out
}

// pcSame maps an entry of the corpus to the earlier entry whose content it has. With commits of
// pcBatch (4) entries, 3 and 15 share with an entry of their own commit, the others with one of
// an earlier commit; 17 fails.
var pcSame = map[int]int{3: 0, 9: 6, 13: 5, 15: 12, 17: 2, 21: 18}

// pcContent is the i-th distinct content: a few dozen to a few hundred bytes, and none for 5.
func pcContent(i int) []byte {
	if i == 5 {
		return []byte{}
	}
	return bytes.Repeat(fmt.Appendf(nil, "content %d;", i), 1+i*3%17)
}

// pcGate lets a source wait until the run has committed a number of objects: it follows the
// run's Progress, which the run reports after each commit.
type pcGate struct {
	mu   sync.Mutex
	done int64
	wake chan struct{}
}

func newPCGate() *pcGate { return &pcGate{wake: make(chan struct{})} }

func (g *pcGate) progress(p converter.Progress) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.done = p.Done
	close(g.wake)
	g.wake = make(chan struct{})
}

func (g *pcGate) wait(ctx context.Context, n int64) error {
	for {
		g.mu.Lock()
		done, wake := g.done, g.wake
		g.mu.Unlock()
		if done >= n {
			return nil
		}
		select {
		case <-wake:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// pcSource gives the corpus in batches: before the first entry of each batch it waits until
// the previous batch is committed. With one worker and commits of exactly pcBatch objects,
// the run's writes then come in one order only (a batch's conversions, then its commit, then
// the next batch's conversions), so that a cut after n writes or flushes means the same
// moment in every run.
type pcSource struct {
	memSource
	gate *pcGate
}

func (s *pcSource) Next(ctx context.Context) (converter.Entry, error) {
	if k := s.next; k > 0 && k%pcBatch == 0 {
		if err := s.gate.wait(ctx, int64(k)); err != nil {
			return converter.Entry{}, err
		}
	}
	return s.memSource.Next(ctx)
}

// fileByFileFs hides crashfs's SyncAll, so that the store's group commit flushes each file and
// directory it wrote, one by one, as it does where syncfs(2) is not available (the same code
// path as atomicfile.Group.FileByFile).
type fileByFileFs struct{ afero.Fs }

func (f fileByFileFs) LstatIfPossible(name string) (fs.FileInfo, bool, error) {
	return f.Fs.(afero.Lstater).LstatIfPossible(name)
}

// pcDisk is a simulated disk holding the corpus's data files and an empty store, all durable.
// Its Random crashes may tear files written since their last flush, in blocks of torn bytes
// (crashfs.WithTornWrites): a file cut short, or with zeros where a block was lost.
type pcDisk struct {
	crash *crashfs.FS
	fs    afero.Fs    // crash, behind spy or fileByFileFs
	spy   *syncAllSpy // nil for file by file
}

func newPCDisk(t testing.TB, corpus []pcObject, fileByFile bool, torn int) pcDisk {
	t.Helper()
	d := pcDisk{crash: crashfs.New(crashfs.WithTornWrites(torn))}
	if fileByFile {
		d.fs = fileByFileFs{d.crash}
	} else {
		d.spy = &syncAllSpy{FS: d.crash, first: -1}
		d.fs = d.spy
	}
	require.NoError(t, d.fs.MkdirAll(pcSrc, 0o755))
	for _, o := range corpus {
		if o.data != nil {
			require.NoError(t, afero.WriteFile(d.fs, o.entry.Path, o.data, 0o644))
		}
	}
	_, err := hashstore.New(pcStore, hashstore.DefaultConfig(), hashstore.WithFs(d.fs), hashstore.WithGroupCommit())
	require.NoError(t, err)
	require.NoError(t, d.crash.SyncAll())
	return d
}

// syncAllSpy is a simulated disk that notes how many writes it had seen when a store's group
// commit first flushed it whole.
type syncAllSpy struct {
	*crashfs.FS
	first int
}

func (s *syncAllSpy) SyncAll() error {
	if s.first < 0 {
		s.first = s.Ops()
	}
	return s.FS.SyncAll()
}

// open opens the disk's store as a bulk run does (group commit).
func (d pcDisk) open(t testing.TB) *hashstore.FileHashStore {
	t.Helper()
	s, err := hashstore.Open(pcStore, hashstore.WithFs(d.fs), hashstore.WithGroupCommit())
	require.NoError(t, err)
	return s
}

// run imports the corpus into s with the journal and the outputs on the disk, durably.
func (d pcDisk) run(ctx context.Context, s *hashstore.FileHashStore, corpus []pcObject) (*converter.Summary, error) {
	gate := newPCGate()
	src := &pcSource{memSource: memSource{name: "memory:powercut", stamp: "1"}, gate: gate}
	for _, o := range corpus {
		src.entries = append(src.entries, o.entry)
	}
	opts := converter.BulkOptions{
		Source: src, Fs: d.fs, Sync: true,
		Journal: path.Join(pcOut, "journal.jsonl"), ReportDir: path.Join(pcOut, "reports"),
		ChecksumsOut: path.Join(pcOut, "checksums.csv"), SummaryOut: path.Join(pcOut, "summary.json"),
		Started: time.Date(2024, 11, 20, 22, 55, 18, 0, time.UTC),
		Workers: 1, LargeWorkers: 1,
		CheckpointRecords: pcBatch, CheckpointInterval: time.Hour,
		Progress: gate.progress, ProgressInterval: time.Nanosecond,
	}
	return converter.New(s, hashstore.CopyFile).RunBulk(ctx, opts)
}

// pcOutputs is what a finished run leaves outside the store.
type pcOutputs struct {
	Journal   []map[string]any  // the compacted journal's records, without their timings
	Reports   map[string]string // by file name
	Checksums string
	Summary   map[string]any // summary.json without its run statistics
}

func (d pcDisk) outputs(t testing.TB) pcOutputs {
	t.Helper()
	var o pcOutputs
	read := func(p string) []byte {
		data, err := afero.ReadFile(d.fs, p)
		require.NoError(t, err)
		return data
	}
	lines := strings.Split(strings.TrimSuffix(string(read(path.Join(pcOut, "journal.jsonl"))), "\n"), "\n")
	for _, l := range lines[1:] {
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(l), &m), l)
		delete(m, "time")
		o.Journal = append(o.Journal, m)
	}
	o.Reports = map[string]string{}
	entries, err := afero.ReadDir(d.fs, path.Join(pcOut, "reports"))
	require.NoError(t, err)
	for _, e := range entries {
		o.Reports[e.Name()] = string(read(path.Join(pcOut, "reports", e.Name())))
	}
	o.Checksums = string(read(path.Join(pcOut, "checksums.csv")))
	require.NoError(t, json.Unmarshal(read(path.Join(pcOut, "summary.json")), &o.Summary))
	delete(o.Summary, "run")
	return o
}

// storeTree describes the store's files and directories (hashstoretest.Tree), but for what
// its temp directories hold.
func (d pcDisk) storeTree(t testing.TB) map[string]string {
	t.Helper()
	tree := hashstoretest.Tree(t, d.fs, pcStore)
	for p := range tree {
		_, inArea, _ := strings.Cut(p, "/")
		if inTmp, ok := strings.CutPrefix(inArea, "tmp/"); ok && inTmp != "" {
			delete(tree, p) // objects/tmp/..., refs/tmp/..., metadata/tmp/...
		}
	}
	return tree
}

// promised returns the pids the journal on the disk records as done (status ok), with their
// cids: what the run promised before it was cut. A torn last line is no promise.
func (d pcDisk) promised(t testing.TB) map[string]string {
	t.Helper()
	data, err := afero.ReadFile(d.fs, path.Join(pcOut, "journal.jsonl"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	require.NoError(t, err)
	out := map[string]string{}
	for _, l := range strings.Split(string(data), "\n") {
		var rec struct {
			PID, Status, CID string
		}
		if json.Unmarshal([]byte(l), &rec) != nil || rec.Status != "ok" {
			continue
		}
		out[rec.PID] = rec.CID
	}
	return out
}

// requireObject requires pid to be stored exactly as the corpus says: its data served (and
// verified against its cid) and its sysmeta byte for byte.
func requireObject(t testing.TB, s *hashstore.FileHashStore, o pcObject, what string) {
	t.Helper()
	ctx := context.Background()
	pid := o.entry.PID
	if o.data != nil {
		r, err := s.RetrieveObject(ctx, pid, hashstore.WithVerify())
		require.NoError(t, err, "%s: %s", what, pid)
		got, err := io.ReadAll(r)
		r.Close()
		require.NoError(t, err, "%s: %s reads back verified", what, pid)
		require.Equal(t, o.data, got, "%s: %s", what, pid)
	}
	r, err := s.RetrieveMetadata(ctx, pid)
	require.NoError(t, err, "%s: sysmeta of %s", what, pid)
	got, err := io.ReadAll(r)
	r.Close()
	require.NoError(t, err)
	require.Equal(t, string(o.entry.Sysmeta), string(got), "%s: sysmeta of %s", what, pid)
}

// requireCleanAudit requires the audit (rehashing every object) to find no error but temp
// files the crash left behind, and, when there are some, a repair to leave the store clean.
func requireCleanAudit(t testing.TB, s *hashstore.FileHashStore, what string) {
	t.Helper()
	ctx := context.Background()
	var errs []hashstore.Finding
	temps := 0
	_, err := s.Audit(ctx, hashstore.AuditOptions{Rehash: true, TempGrace: -1}, func(f hashstore.Finding) error {
		switch {
		case f.Class == hashstore.FindingAbandonedTemp:
			temps++
		case f.Class.IsError():
			errs = append(errs, f)
		}
		return nil
	})
	require.NoError(t, err, what)
	require.Empty(t, errs, "%s: audit findings", what)
	if temps == 0 {
		return
	}
	_, err = s.Audit(ctx, hashstore.AuditOptions{Repair: true, TempGrace: -1}, nil)
	require.NoError(t, err, what)
	sum, err := s.Audit(ctx, hashstore.AuditOptions{TempGrace: -1}, nil)
	require.NoError(t, err, what)
	require.True(t, sum.Clean, "%s: audit after repair: %+v", what, sum)
}

// pcReference is an uninterrupted run's result.
type pcReference struct {
	outputs    pcOutputs
	tree       map[string]string
	ops, syncs int // the run's writes and flush boundaries
	// firstCommit is the number of writes the run made before the store's first commit
	// flushed the disk (syncfs variant only).
	firstCommit int
}

func pcReferenceRun(t testing.TB, corpus []pcObject, fileByFile bool) pcReference {
	t.Helper()
	d := newPCDisk(t, corpus, fileByFile, 1)
	s := d.open(t)
	ops, syncs := d.crash.Ops(), d.crash.Syncs()
	sum, err := d.run(context.Background(), s, corpus)
	require.NoError(t, err)
	ref := pcReference{ops: d.crash.Ops() - ops, syncs: d.crash.Syncs() - syncs, firstCommit: -1}
	if d.spy != nil {
		require.GreaterOrEqual(t, d.spy.first, 0, "the store flushed the disk")
		ref.firstCommit = d.spy.first - ops
	}
	var failed int64
	for _, o := range corpus {
		if o.fails {
			failed++
			continue
		}
		requireObject(t, s, o, "reference")
	}
	require.Equal(t, int64(len(corpus)), sum.Objects)
	require.Equal(t, failed, sum.Failed)
	require.Equal(t, map[converter.FailureClass]int64{converter.ClassNonMatchingChecksum: failed}, sum.Failures)
	requireCleanAudit(t, s, "reference")
	ref.outputs, ref.tree = d.outputs(t), d.storeTree(t)
	return ref
}

// pcSample returns the numbers in [from, to]: all of them when n is 0 or the range holds at
// most n, else the first and the last three and a fixed random sample of the others, n in all.
func pcSample(from, to, n int, seed uint64) []int {
	if to < from {
		return nil
	}
	if n == 0 || to-from+1 <= n {
		var out []int
		for k := from; k <= to; k++ {
			out = append(out, k)
		}
		return out
	}
	picked := map[int]bool{}
	for k := range 3 {
		picked[from+k], picked[to-k] = true, true
	}
	rng := rand.New(rand.NewPCG(seed, 16))
	for len(picked) < n {
		picked[from+rng.IntN(to-from+1)] = true
	}
	return slices.Sorted(maps.Keys(picked))
}

// pcFull runs the whole matrix: every flush boundary of both variants with more policies, and
// many more writes. Too slow for CI; for a thorough run after changing the write paths.
var pcFull = flag.Bool("powercut.full", false, "power-cut tests: every flush boundary of every variant, more policies and writes")

// pcMatrix is where one variant's runs are cut, and the crash policies each cut is tried
// with. A flush boundary k is cut twice: right after the k-th flush (CutAfterSyncs), and
// right before it, after the last write that precedes it (CutAfterOps), where the most
// writes are waiting for a flush. Before a flush, KeepNothing gives the state it gives after
// the previous one and KeepEverything the state it gives after this one: only Random
// policies are worth trying there.
type pcMatrix struct {
	flushes, writes []int
	after, before   []crashfs.Policy // at a flush boundary
	atWrite         []crashfs.Policy // at a sampled write
}

// pcRandom returns n Random policies.
func pcRandom(n int) []crashfs.Policy {
	var ps []crashfs.Policy
	for i := range n {
		ps = append(ps, crashfs.Random(int64(1000+i)))
	}
	return ps
}

// pcPlan chooses the cut points. The syncfs variant (whole-disk flushes) is cut at every flush
// boundary of its run, even with -short; the file-by-file variant, whose run has many more
// boundaries (two or three per file written), at a sample of them. Both are also cut at a
// sample of writes.
func pcPlan(ref pcReference, fileByFile bool) pcMatrix {
	keep := []crashfs.Policy{crashfs.KeepNothing(), crashfs.KeepEverything()}
	nothing := []crashfs.Policy{crashfs.KeepNothing()}
	switch {
	case *pcFull:
		return pcMatrix{flushes: pcSample(1, ref.syncs, 0, 0), writes: pcSample(0, ref.ops-1, 200, 1),
			after: append(keep, pcRandom(4)...), before: pcRandom(6), atWrite: append(nothing, pcRandom(3)...)}
	case testing.Short() && fileByFile:
		return pcMatrix{flushes: pcSample(1, ref.syncs, 10, 2), writes: pcSample(0, ref.ops-1, 6, 3),
			after: nothing, before: pcRandom(1), atWrite: pcRandom(1)}
	case testing.Short():
		return pcMatrix{flushes: pcSample(1, ref.syncs, 0, 0), writes: pcSample(0, ref.ops-1, 6, 4),
			after: nothing, before: pcRandom(1), atWrite: pcRandom(1)}
	case fileByFile:
		return pcMatrix{flushes: pcSample(1, ref.syncs, 40, 5), writes: pcSample(0, ref.ops-1, 12, 6),
			after: append(nothing, pcRandom(1)...), before: pcRandom(1), atWrite: pcRandom(1)}
	}
	return pcMatrix{flushes: pcSample(1, ref.syncs, 0, 0), writes: pcSample(0, ref.ops-1, 20, 7),
		after: append(keep, pcRandom(2)...), before: pcRandom(3), atWrite: append(nothing, pcRandom(1)...)}
}

// pcTornBlocks are the block sizes of torn writes, one chosen by each cut point: from a byte
// (a file cut anywhere) to more than a refs file (all of it or none).
var pcTornBlocks = []int{1, 4, 16, 64, 512}

// pcCrashRun cuts the power at cut during a run, crashes the disk under policy, checks that
// the journal's promises survived, runs again to completion and checks the result against
// the reference.
//
// inspect, if not nil, looks at the disk and the store after the crash, before the re-run. pcCrashRun
// returns the number of writes the run made before it was cut.
func pcCrashRun(t testing.TB, corpus []pcObject, ref pcReference, fileByFile bool, cut crashfs.Cut, policy crashfs.Policy,
	inspect func(pcDisk, *hashstore.FileHashStore)) (opsBefore int) {
	t.Helper()
	what := fmt.Sprintf("cut %v, %v", cut, policy)
	ctx := context.Background()
	d := newPCDisk(t, corpus, fileByFile, pcTornBlocks[cut.N%len(pcTornBlocks)])
	s := d.open(t)
	base := d.crash.Ops()
	d.crash.Arm(cut)
	_, err := d.run(ctx, s, corpus)
	require.True(t, d.crash.Frozen(), "%s: the run reached its cut point", what)
	if err != nil {
		require.ErrorIs(t, err, crashfs.ErrPowerCut, what)
	}
	opsBefore = d.crash.Ops() - base
	d.crash.Crash(policy)

	s = d.open(t)
	promised := d.promised(t)
	for _, o := range corpus {
		if cid, ok := promised[o.entry.PID]; ok {
			require.False(t, o.fails, "%s: %s is recorded done", what, o.entry.PID)
			requireObject(t, s, o, what+": promised by the journal before the re-run")
			if o.data != nil {
				info, err := s.FindObject(ctx, o.entry.PID)
				require.NoError(t, err)
				require.Equal(t, cid, info.CID, what)
			}
		}
	}

	if inspect != nil {
		inspect(d, s)
	}
	_, err = d.run(ctx, s, corpus)
	require.NoError(t, err, "%s: the re-run completes", what)
	for _, o := range corpus {
		if !o.fails {
			requireObject(t, s, o, what+": after the re-run")
		}
	}
	requireCleanAudit(t, s, what)
	require.Equal(t, ref.outputs, d.outputs(t), "%s: outputs", what)
	require.Equal(t, ref.tree, d.storeTree(t), "%s: store", what)
	return opsBefore
}

// TestPowerCutBulk cuts the power during a bulk import on a simulated disk right after and
// right before flush boundaries and after a sample of writes, crashes the disk under several
// policies, and checks that a re-run with the same journal completes the work: nothing the
// journal promised is lost (checked before the re-run), every object reads back verified with
// its exact sysmeta, the audit with rehashing is clean (but for temp files, which its repair
// removes), and the outputs (compacted journal, reports, checksums CSV, summary) and the
// store's files equal those of an uninterrupted run. Two variants: the store's group commit
// flushes the whole disk at once (as syncfs does), or each file and directory it wrote.
func TestPowerCutBulk(t *testing.T) {
	t.Parallel()
	corpus := pcCorpus()
	for _, v := range []struct {
		name       string
		fileByFile bool
	}{{"syncfs", false}, {"file-by-file", true}} {
		t.Run(v.name, func(t *testing.T) {
			t.Parallel()
			ref := pcReferenceRun(t, corpus, v.fileByFile)
			m := pcPlan(ref, v.fileByFile)
			crashes := len(m.flushes)*(len(m.after)+len(m.before)) + len(m.writes)*len(m.atWrite)
			t.Logf("the run has %d flush boundaries and %d writes; cut around %d boundaries (%d policies after, %d before) and after %d writes (%d policies): %d crashes",
				ref.syncs, ref.ops, len(m.flushes), len(m.after), len(m.before), len(m.writes), len(m.atWrite), crashes)
			for _, k := range m.flushes {
				t.Run(fmt.Sprintf("flush %d", k), func(t *testing.T) {
					t.Parallel()
					before := -1
					for _, p := range m.after {
						before = pcCrashRun(t, corpus, ref, v.fileByFile, crashfs.Cut{AfterSyncs: true, N: k}, p, nil)
					}
					for _, p := range m.before {
						pcCrashRun(t, corpus, ref, v.fileByFile, crashfs.Cut{N: before}, p, nil)
					}
				})
			}
			for _, k := range m.writes {
				t.Run(fmt.Sprintf("write %d", k), func(t *testing.T) {
					t.Parallel()
					for _, p := range m.atWrite {
						pcCrashRun(t, corpus, ref, v.fileByFile, crashfs.Cut{N: k}, p, nil)
					}
				})
			}
		})
	}
}

// TestPowerCutBeforeFirstCommit cuts the power after the first batch of a run was written to
// the store but before the store was flushed: the journal holds only its header, while the
// store may hold the batch's files, any of them empty (a crash may keep a name without the
// data written under it). The re-run must take the journal for an interrupted one although it
// records nothing, and check what it finds (WithRecovery) rather than trust it; and the
// journal itself, in a directory the run created, must have survived (the directory is made
// durable before the journal is used). Random crashes are tried with fixed seeds; several of
// them leave damage (an object that is not its cid, an empty pid refs file) that an unchecked
// re-run would keep or fail on.
func TestPowerCutBeforeFirstCommit(t *testing.T) {
	t.Parallel()
	corpus := pcCorpus()
	ref := pcReferenceRun(t, corpus, false)
	seeds := 24
	if testing.Short() {
		seeds = 8
	}
	damaged := 0
	for seed := range seeds {
		p := crashfs.Random(int64(seed))
		pcCrashRun(t, corpus, ref, false, crashfs.Cut{N: ref.firstCommit}, p, func(d pcDisk, s *hashstore.FileHashStore) {
			ctx := context.Background()
			journal, err := afero.ReadFile(d.fs, path.Join(pcOut, "journal.jsonl"))
			require.NoError(t, err, "%v: the journal survived", p)
			require.Equal(t, 1, bytes.Count(journal, []byte("\n")), "%v: the journal holds its header only", p)
			require.Contains(t, string(journal), `"hashstore_bulk_journal":1`)
			harm := false
			_, err = s.Audit(ctx, hashstore.AuditOptions{Rehash: true, TempGrace: -1}, func(f hashstore.Finding) error {
				harm = harm || f.Class == hashstore.FindingCorruptObject || f.Class == hashstore.FindingMalformedRefs
				return nil
			})
			require.NoError(t, err)
			if harm {
				damaged++
			}
		})
	}
	t.Logf("%d of %d crashes left an object or a refs file damaged", damaged, seeds)
	require.GreaterOrEqual(t, damaged, 2, "the crashes damaged something (else the test proves nothing)")
}
