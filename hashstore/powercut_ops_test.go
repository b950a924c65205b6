package hashstore_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hashstore-go/hashstore/hashstore"
	"github.com/hashstore-go/hashstore/internal/crashfs"
)

// The power-cut tests of single calls: a sequence of stores, tags and deletes runs on a
// simulated disk (crashfs) and is cut at every flush boundary and after every write, then the
// disk crashes under several policies and the store is opened again. What a call promised by
// returning must have survived; the call that was interrupted must have left only a state that
// calling it again completes, without corrupt data visible meanwhile; and the audit, after its
// repairs, must find the store clean.

// pcAbsent in a pcView says that the thing must not be found.
const pcAbsent = "\x00absent"

// pcView is what the API must show after some calls of a sequence: by key ("object PID": the
// pid's content, read verified; "meta PID FORMAT": a metadata document; "untagged CID": an
// object without a pid, pcUntagged), the content, or pcAbsent.
type pcView map[string]string

// pcCall is one call of a sequence.
type pcCall struct {
	name string
	// do makes the call. again says it is made once more after a power cut interrupted it (or
	// a group commit lost it): then an outcome that says it was done already counts as
	// success, and in a group commit the call recovers (WithRecovery).
	do func(ctx context.Context, s *hashstore.FileHashStore, again, group bool) error
	// apply records the call's effect in a view. nil for a Sync.
	apply func(pcView)
	// steps says the call changes several directories whose order matters after a power cut
	// (DeleteObject): its writes get more random crashes.
	steps bool
}

var (
	pcX        = []byte("the content X, stored twice\n")
	pcY        = []byte("the content Y, stored untagged, then tagged\n")
	pcNS       = hashstore.DefaultConfig().MetadataNamespace
	pcExtraFmt = "https://example.org/extra"
)

func pcCID(data []byte) string {
	d := hashstore.Algorithm("SHA-256").New()
	d.Write(data)
	return fmt.Sprintf("%x", d.Sum(nil))
}

func pcStore(pid string, data []byte) pcCall {
	return pcCall{
		name: fmt.Sprintf("StoreObject(%q)", pid),
		do: func(ctx context.Context, s *hashstore.FileHashStore, again, group bool) error {
			opts := []hashstore.StoreOption{}
			if pid != "" {
				opts = append(opts, hashstore.WithPID(pid))
			}
			if again && group {
				opts = append(opts, hashstore.WithRecovery())
			}
			_, err := s.StoreObject(ctx, bytes.NewReader(data), opts...)
			if again && errors.Is(err, hashstore.ErrAlreadyTagged) {
				return nil
			}
			return err
		},
		apply: func(v pcView) {
			if pid == "" {
				v["untagged "+pcCID(data)] = pcUntagged(len(data))
			} else {
				v["object "+pid] = string(data)
			}
		},
	}
}

func pcTag(pid string, data []byte) pcCall {
	cid := pcCID(data)
	return pcCall{
		name: fmt.Sprintf("TagObject(%q)", pid),
		do: func(ctx context.Context, s *hashstore.FileHashStore, again, _ bool) error {
			err := s.TagObject(ctx, pid, cid)
			if again && errors.Is(err, hashstore.ErrAlreadyTagged) {
				return nil
			}
			return err
		},
		apply: func(v pcView) {
			delete(v, "untagged "+cid)
			v["object "+pid] = string(data)
		},
	}
}

func pcMeta(pid, format string, doc []byte) pcCall {
	return pcCall{
		name: fmt.Sprintf("StoreMetadata(%q, %q)", pid, format),
		do: func(ctx context.Context, s *hashstore.FileHashStore, _, _ bool) error {
			_, err := s.StoreMetadata(ctx, pid, bytes.NewReader(doc), hashstore.WithFormatID(format))
			return err
		},
		apply: func(v pcView) { v["meta "+pid+" "+format] = string(doc) },
	}
}

func pcDeleteMeta(pid, format string) pcCall {
	return pcCall{
		name: fmt.Sprintf("DeleteMetadata(%q, %q)", pid, format),
		do: func(ctx context.Context, s *hashstore.FileHashStore, _, _ bool) error {
			return s.DeleteMetadata(ctx, pid, format)
		},
		apply: func(v pcView) { v["meta "+pid+" "+format] = pcAbsent },
	}
}

func pcDelete(pid string) pcCall {
	return pcCall{
		name: fmt.Sprintf("DeleteObject(%q)", pid),
		do: func(ctx context.Context, s *hashstore.FileHashStore, again, _ bool) error {
			err := s.DeleteObject(ctx, pid)
			if again && errors.Is(err, hashstore.ErrNotFound) {
				return nil
			}
			return err
		},
		steps: true,
		apply: func(v pcView) {
			v["object "+pid] = pcAbsent
			for k := range v {
				if rest, ok := strings.CutPrefix(k, "meta "+pid+" "); ok && rest != "" {
					v[k] = pcAbsent
				}
			}
		},
	}
}

var pcSyncCall = pcCall{
	name: "Sync",
	do: func(ctx context.Context, s *hashstore.FileHashStore, _, _ bool) error {
		return s.Sync(ctx)
	},
}

// pcSequence is every kind of call, on fresh and on shared content: a store, its metadata, an
// untagged store then a tag, a second pid for the same content (the cid refs file of a durable
// object rewritten), metadata replaced and added in a second format, a document deleted, a
// pid of a shared object deleted, then the last pid of an object (the object goes). With
// group set, Syncs come between groups of calls.
func pcSequence(group bool) []pcCall {
	calls := []pcCall{
		pcStore("a.1", pcX),
		pcMeta("a.1", pcNS, []byte("<doc>a.1, first version</doc>\n")),
		pcStore("", pcY),
		pcTag("b.1", pcY),
		pcStore("c.1", pcX),
		pcMeta("c.1", pcNS, []byte("<doc>c.1</doc>\n")),
		pcMeta("a.1", pcNS, []byte("<doc>a.1, second version, a little longer</doc>\n")),
		pcMeta("a.1", pcExtraFmt, []byte("<extra>a.1</extra>\n")),
		pcDeleteMeta("a.1", pcNS),
		pcDelete("c.1"),
		pcDelete("a.1"),
	}
	if !group {
		return calls
	}
	var out []pcCall
	for i, c := range calls {
		out = append(out, c)
		if i%3 == 2 || i == len(calls)-1 {
			out = append(out, pcSyncCall)
		}
	}
	return out
}

// pcViews returns the view after each prefix of calls: views[i] is the state after calls[:i].
func pcViews(calls []pcCall) []pcView {
	views := []pcView{{}}
	for _, c := range calls {
		v := maps.Clone(views[len(views)-1])
		if c.apply != nil {
			c.apply(v)
		}
		views = append(views, v)
	}
	return views
}

// pcShows returns what the store shows for a view's key: the content, pcAbsent, or the error
// that prevented an answer.
func pcShows(s *hashstore.FileHashStore, key string) (string, error) {
	ctx := context.Background()
	var kind, id, format string
	if _, err := fmt.Sscan(key, &kind, &id); err != nil {
		return "", err
	}
	read := func(r io.ReadCloser, err error) (string, error) {
		if errors.Is(err, hashstore.ErrNotFound) {
			return pcAbsent, nil
		}
		if err != nil {
			return "", err
		}
		defer r.Close()
		data, err := io.ReadAll(r)
		return string(data), err
	}
	switch kind {
	case "object":
		r, err := s.RetrieveObject(ctx, id, hashstore.WithVerify())
		return read(r, err)
	case "meta":
		format = key[len("meta ")+len(id)+1:]
		r, err := s.RetrieveMetadata(ctx, id, hashstore.WithFormatID(format))
		return read(r, err)
	case "untagged":
		meta, _, err := s.StatObject(ctx, id)
		if err != nil {
			return read(nil, err)
		}
		return pcUntagged(int(meta.Size)), nil
	}
	return "", fmt.Errorf("unknown key %q", key)
}

// pcUntagged is what a view holds for an untagged object: StatObject gives its size without
// reading it (the audit's rehash checks its content).
func pcUntagged(size int) string { return fmt.Sprintf("an object of %d bytes", size) }

// requireView requires the store to show every key of v as v says, but for the keys in skip.
func requireView(t testing.TB, s *hashstore.FileHashStore, v pcView, skip map[string]bool, what string) {
	t.Helper()
	for _, k := range slices.Sorted(maps.Keys(v)) {
		if skip[k] {
			continue
		}
		got, err := pcShows(s, k)
		require.NoError(t, err, "%s: %s", what, k)
		require.Equal(t, pcPrintable(v[k]), pcPrintable(got), "%s: %s", what, k)
	}
}

func pcPrintable(s string) string {
	if s == pcAbsent {
		return "<absent>"
	}
	return s
}

// pcChanged returns the keys whose value differs between views a and b.
func pcChanged(a, b pcView) map[string]bool {
	out := map[string]bool{}
	for k := range a {
		if a[k] != b[k] {
			out[k] = true
		}
	}
	for k := range b {
		if a[k] != b[k] {
			out[k] = true
		}
	}
	return out
}

// requireCleanAfterRepair requires the audit's repairs to leave the store clean (the audit
// rehashing every object).
func requireCleanAfterRepair(t testing.TB, s *hashstore.FileHashStore, what string) {
	t.Helper()
	ctx := context.Background()
	_, err := s.Audit(ctx, hashstore.AuditOptions{Repair: true, TempGrace: -1}, nil)
	require.NoError(t, err, what)
	var errs []hashstore.Finding
	sum, err := s.Audit(ctx, hashstore.AuditOptions{Rehash: true, TempGrace: -1}, func(f hashstore.Finding) error {
		if f.Class.IsError() {
			errs = append(errs, f)
		}
		return nil
	})
	require.NoError(t, err, what)
	require.True(t, sum.Clean, "%s: %+v", what, errs)
}

// pcOpsOptions are the store options of a variant: every call durable when it returns, or a
// group commit.
func pcOpsOptions(group bool) []hashstore.Option {
	if group {
		return []hashstore.Option{hashstore.WithGroupCommit()}
	}
	return []hashstore.Option{hashstore.WithSync(true)}
}

// pcRunCalls runs calls on a fresh store on disk until one fails, and returns how many
// returned success.
func pcRunCalls(t testing.TB, disk *crashfs.FS, s *hashstore.FileHashStore, calls []pcCall, group bool, what string) int {
	t.Helper()
	for i, c := range calls {
		if err := c.do(context.Background(), s, false, group); err != nil {
			require.True(t, disk.Frozen(), "%s: %s failed before the cut: %v", what, c.name, err)
			require.ErrorIs(t, err, crashfs.ErrPowerCut, "%s: %s", what, c.name)
			return i
		}
	}
	return len(calls)
}

// pcOpsCrash runs the sequence on a fresh store, cut as cut says, crashes the disk with policy
// and checks the store after the reboot, then after the interrupted calls were made again.
func pcOpsCrash(t testing.TB, calls []pcCall, views []pcView, group bool, cut crashfs.Cut, policy crashfs.Policy) {
	t.Helper()
	ctx := context.Background()
	what := fmt.Sprintf("%v, %v", cut, policy)
	disk := crashfs.New(crashfs.WithTornWrites(4))
	opts := pcOpsOptions(group)
	s := pcNewStore(t, disk, opts...)
	disk.Arm(cut)
	done := pcRunCalls(t, disk, s, calls, group, what)
	require.True(t, disk.Frozen(), "%s: the calls reached the cut", what)
	disk.Crash(policy)
	s = pcOpen(t, disk, opts...)

	// What is promised: without a group commit, every call that returned; with one, every
	// call before the last Sync that returned.
	promised := done
	if group {
		promised = 0
		for i := range done {
			if calls[i].apply == nil {
				promised = i + 1
			}
		}
	}
	// The calls after the promise (the interrupted one included) may have done anything,
	// completely or partly: what they change is only checked not to show wrong content.
	redo := calls[promised:min(done+1, len(calls))]
	changed := map[string]bool{}
	for i := promised; i < promised+len(redo); i++ {
		maps.Copy(changed, pcChanged(views[i], views[i+1]))
	}
	requireView(t, s, views[promised], changed, what+": promised")
	for k := range changed {
		got, err := pcShows(s, k)
		if err != nil || got == pcAbsent {
			continue // not found, or an error: nothing wrong is served
		}
		if group && strings.HasPrefix(k, "meta ") {
			// A document not yet flushed in a group commit may come back empty or torn: a
			// group commit promises nothing before its Sync, and a document carries no
			// checksum to catch it. Calling StoreMetadata again (a re-run) rewrites it.
			continue
		}
		var allowed []string
		for i := promised; i <= promised+len(redo); i++ {
			allowed = append(allowed, pcPrintable(views[i][k]))
		}
		require.Contains(t, allowed, pcPrintable(got), "%s: %s shows content none of the calls gave it", what, k)
	}

	// The interrupted calls, made again, complete.
	for _, c := range redo {
		require.NoError(t, c.do(ctx, s, true, group), "%s: %s again", what, c.name)
	}
	if group {
		require.NoError(t, s.Sync(ctx), what)
	}
	after := views[promised+len(redo)]
	requireView(t, s, after, nil, what+": after the calls were made again")
	requireCleanAfterRepair(t, s, what)
	requireView(t, s, after, nil, what+": after the audit's repairs")
}

// TestPowerCutCalls runs a sequence of every kind of call (StoreObject, StoreMetadata,
// TagObject, DeleteMetadata, DeleteObject, on fresh and shared content) on a simulated disk,
// cuts the power at every flush boundary and after every write, crashes the disk (keeping
// nothing unflushed, everything, or random choices with torn files), and checks after the
// reboot: every call that returned is durable (with a group commit: every call before the
// last Sync that returned); what the interrupted calls touch shows either a state some call
// gave it, or nothing (a verified read never serves wrong bytes); making the interrupted calls
// again (with WithRecovery in a group commit) succeeds and gives the state of an uninterrupted
// sequence; and the audit, after its repairs, finds the store clean.
//
// Two variants: every call durable when it returns (WithSync(true), the default), and a group
// commit with Syncs between groups of calls.
func TestPowerCutCalls(t *testing.T) {
	t.Parallel()
	for _, group := range []bool{false, true} {
		name := "sync"
		if group {
			name = "group-commit"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			calls := pcSequence(group)
			views := pcViews(calls)
			// The uninterrupted sequence, to count its writes and flushes.
			// The writes of calls with steps are noted.
			disk := crashfs.New()
			s := pcNewStore(t, disk, pcOpsOptions(group)...)
			ops, syncs := disk.Ops(), disk.Syncs()
			stepped := map[int]bool{}
			for _, c := range calls {
				before := disk.Ops()
				require.NoError(t, c.do(context.Background(), s, false, group), c.name)
				for k := before; k < disk.Ops() && c.steps; k++ {
					stepped[k-ops] = true
				}
			}
			ops, syncs = disk.Ops()-ops, disk.Syncs()-syncs
			requireView(t, s, views[len(calls)], nil, "uninterrupted")
			requireCleanAfterRepair(t, s, "uninterrupted")

			// After a flush little is left unflushed; after a write, more: it gets more random
			// crashes.
			atFlush := []crashfs.Policy{crashfs.KeepNothing(), crashfs.KeepEverything(), crashfs.Random(1)}
			atWrite := []crashfs.Policy{crashfs.KeepNothing(), crashfs.Random(1), crashfs.Random(2), crashfs.Random(3), crashfs.Random(4)}
			atStep := slices.Clone(atWrite)
			for seed := range int64(12) {
				atStep = append(atStep, crashfs.Random(100+seed))
			}
			if testing.Short() {
				atFlush = []crashfs.Policy{crashfs.KeepNothing(), crashfs.Random(1)}
				atWrite, atStep = atFlush, atWrite
			}
			t.Logf("%d calls, %d writes (%d in calls with steps), %d flush boundaries: cut after every flush (%d policies) and every write (%d policies, %d in calls with steps): %d crashes",
				len(calls), ops, len(stepped), syncs, len(atFlush), len(atWrite), len(atStep),
				syncs*len(atFlush)+(ops-len(stepped))*len(atWrite)+len(stepped)*len(atStep))
			for k := 1; k <= syncs; k++ {
				for _, p := range atFlush {
					pcOpsCrash(t, calls, views, group, crashfs.Cut{AfterSyncs: true, N: k}, p)
				}
			}
			for k := range ops {
				policies := atWrite
				if stepped[k] {
					policies = atStep
				}
				for _, p := range policies {
					pcOpsCrash(t, calls, views, group, crashfs.Cut{N: k}, p)
				}
			}
		})
	}
}
