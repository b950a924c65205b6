package hashstoretest

// docs/CONFORMANCE.md section 5 (TagObject and reference files) and section 6 (untag, the
// internal rollback of a failed tag); docs/FORMAT.md 4.2, 4.3 and 7.3.
//
// Go has no verifyRefs, updateRefs or untag functions: the reference implementations' internal
// helpers are covered through what they do on disk, via TagObject, FindObject (which performs
// the same consistency checks as verifyRefs) and DeleteObject (which removes a pid from a cid
// refs file). Ids with no observable Go counterpart are listed in UNCOVERED.md.

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hashstore-go/hashstore/hashstore"
	"github.com/hashstore-go/hashstore/internal/faultfs"
)

// writeForeignTag writes the references a reference implementation would leave for pid -> cid,
// with cidRefs as the exact cid refs bytes (Java: "pid", Python: "pid\n").
func writeForeignTag(e *Env, pid, cid string, cidRefs []byte) {
	e.WriteFile(PIDRefsPath(pid), []byte(cid))
	e.WriteFile(CIDRefsPath(cid), cidRefs)
}

func tagNewPidNewCid(t *testing.T, e *Env) {
	// The cid need not name an object (the references tag abcdef123456789).
	require.NoError(t, e.Store.TagObject(e.Context, "dou.test.1", javaCID))
	assert.Equal(t, []string{PIDRefsPath("dou.test.1")}, e.Files("refs/pids"))
	assert.Equal(t, []string{CIDRefsPath(javaCID)}, e.Files("refs/cids"))
	assert.Equal(t, javaCID, string(e.ReadFile(PIDRefsPath("dou.test.1"))))
	assert.Equal(t, "dou.test.1\n", string(e.ReadFile(CIDRefsPath(javaCID))))
	assert.Zero(t, e.Count("objects"), "tagging creates no object")
	e.TmpEmpty()
}

func tagAfterDataOnlyStores(t *testing.T, e *Env) {
	for _, v := range Vectors() {
		meta := putDataOnly(t, e, v.Data())
		require.Equal(t, v.CID, meta.CID)
	}
	require.Zero(t, e.Count("refs/pids"))
	require.Zero(t, e.Count("refs/cids"))
	for _, v := range Vectors() {
		require.NoError(t, e.Store.TagObject(e.Context, v.PID, v.CID))
	}
	assert.Equal(t, 3, e.Count("refs/pids"))
	assert.Equal(t, 3, e.Count("refs/cids"))
	for _, v := range Vectors() {
		assert.Equal(t, v.CID, string(e.ReadFile(v.PIDRefsPath)))
		assert.Equal(t, v.PID+"\n", string(e.ReadFile(v.CIDRefsPath)))
	}
}

func secondPidSameCid(t *testing.T, e *Env) {
	require.NoError(t, e.Store.TagObject(e.Context, "dou.test.1", javaCID))
	require.NoError(t, e.Store.TagObject(e.Context, "dou.test.2", javaCID))
	assert.Equal(t, 2, e.Count("refs/pids"))
	assert.Equal(t, 1, e.Count("refs/cids"))
	assert.Equal(t, "dou.test.1\ndou.test.2\n", string(e.ReadFile(CIDRefsPath(javaCID))))
	assert.Equal(t, javaCID, string(e.ReadFile(PIDRefsPath("dou.test.2"))))
}

func samePidSameCidAgain(t *testing.T, e *Env) {
	require.NoError(t, e.Store.TagObject(e.Context, "dou.test.1", javaCID))
	before := storeTree(e)
	err := e.Store.TagObject(e.Context, "dou.test.1", javaCID)
	requireTagged(t, err, hashstore.ErrAlreadyTagged, "dou.test.1", javaCID, javaCID)
	assert.NotErrorIs(t, err, hashstore.ErrPIDTaggedElsewhere)
	unchanged(t, e, before)
	assert.Equal(t, 1, e.Count("refs/pids"))
	assert.Equal(t, 1, e.Count("refs/cids"))
	assert.Equal(t, []string{"dou.test.1"}, cidRefsLines(t, e, javaCID))
}

func pidTaggedToAnotherCid(t *testing.T, e *Env) {
	require.NoError(t, e.Store.TagObject(e.Context, "dou.test.1", javaCID))
	before := storeTree(e)
	other := "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
	err := e.Store.TagObject(e.Context, "dou.test.1", other)
	requireTagged(t, err, hashstore.ErrPIDTaggedElsewhere, "dou.test.1", javaCID, other)
	assert.NotErrorIs(t, err, hashstore.ErrAlreadyTagged)
	unchanged(t, e, before)
	assert.False(t, e.Exists(CIDRefsPath(other)))
}

func orphanPidRefsCannotBeRetagged(t *testing.T, e *Env) {
	v := Vectors()[0]
	e.PutVector(v)
	e.Remove(v.CIDRefsPath) // orphan pid refs
	before := storeTree(e)

	// To another cid: PidRefsFileExistsException in the references, ErrPIDTaggedElsewhere here.
	other := Vectors()[1].CID
	err := e.Store.TagObject(e.Context, v.PID, other)
	requireTagged(t, err, hashstore.ErrPIDTaggedElsewhere, v.PID, v.CID, other)
	unchanged(t, e, before)

	// To the cid it already holds: the references also say PidRefsFileExists; Go reports the
	// broken references (DeleteObject is what cleans them up).
	err = e.Store.TagObject(e.Context, v.PID, v.CID)
	requireBroken(t, err, v.PID, hashstore.ErrOrphanPIDRefs)
	unchanged(t, e, before)
}

func pidRefsToBTagToAWithCidRefs(t *testing.T, e *Env) {
	a, b := Vectors()[0], Vectors()[1]
	e.PutVector(a)
	e.PutVector(b)
	before := storeTree(e)
	// pid b.PID -> cid B; tag it to A, whose cid refs exists. The references raise
	// HashStoreRefsAlreadyExists (both refs files exist); Go says the pid is tagged elsewhere.
	err := e.Store.TagObject(e.Context, b.PID, a.CID)
	requireTagged(t, err, hashstore.ErrPIDTaggedElsewhere, b.PID, b.CID, a.CID)
	unchanged(t, e, before)

	// pid refs holding A while A's cid refs does not list the pid: the references again say
	// HashStoreRefsAlreadyExists; Go reports the pid missing from the cid refs.
	e.WriteFile(PIDRefsPath("dou.test.9"), []byte(a.CID))
	before = storeTree(e)
	err = e.Store.TagObject(e.Context, "dou.test.9", a.CID)
	requireBroken(t, err, "dou.test.9", hashstore.ErrPIDNotInCIDRefs)
	unchanged(t, e, before)
}

func pidRefsIsCidWithoutNewline(t *testing.T, e *Env) {
	v := Vectors()[1]
	e.PutVector(v)
	got := e.ReadFile(v.PIDRefsPath)
	assert.Equal(t, v.CID, string(got))
	assert.Len(t, got, 64)
	require.NoError(t, e.Store.TagObject(e.Context, "dou.test.1", javaCID))
	assert.Equal(t, []byte(javaCID), e.ReadFile(PIDRefsPath("dou.test.1")))
}

func newCidRefsIsPidNewline(t *testing.T, e *Env) {
	// Java writes "pid" without a newline here; Python and Go write "pid\n".
	v := Vectors()[1]
	e.PutVector(v)
	assert.Equal(t, v.PID+"\n", string(e.ReadFile(v.CIDRefsPath)))
}

func goAddsToJavaCreatedCidRefs(t *testing.T, e *Env) {
	v := Vectors()[1]
	// A store as Java leaves it after tagging the first pid: cid refs without a final newline.
	e.WriteFile(v.ObjectPath, v.Data())
	writeForeignTag(e, v.PID, v.CID, []byte(v.PID))
	require.NoError(t, e.Store.TagObject(e.Context, "jtao.1700.1.dup", v.CID))
	// Python would have produced "jtao.1700.1jtao.1700.1.dup\n" (line merging).
	assert.Equal(t, v.PID+"\njtao.1700.1.dup\n", string(e.ReadFile(v.CIDRefsPath)))
	for _, pid := range []string{v.PID, "jtao.1700.1.dup"} {
		info, err := e.Store.FindObject(e.Context, pid)
		require.NoError(t, err, pid)
		assert.Equal(t, v.CID, info.CID)
	}
}

func verifyCorrectlyTagged(t *testing.T, e *Env) {
	// verifyRefs has no Go counterpart; FindObject makes the same checks.
	for _, v := range Vectors() {
		e.PutVector(v)
		info, err := e.Store.FindObject(e.Context, v.PID)
		require.NoError(t, err)
		assert.Equal(t, v.CID, info.CID)
	}
	require.NoError(t, e.Store.TagObject(e.Context, "dou.test.2", Vectors()[0].CID))
	_, err := e.Store.FindObject(e.Context, "dou.test.2")
	assert.NoError(t, err)
}

func verifyPidRefsMissing(t *testing.T, e *Env) {
	v := Vectors()[0]
	e.PutVector(v)
	e.Remove(v.PIDRefsPath)
	before := storeTree(e)
	_, err := e.Store.FindObject(e.Context, v.PID)
	assert.ErrorIs(t, err, hashstore.ErrNotFound)
	assert.NotErrorIs(t, err, hashstore.ErrOrphanRefs)
	unchanged(t, e, before)
}

func verifyPidRefsHoldsOtherCid(t *testing.T, e *Env) {
	a, b := Vectors()[0], Vectors()[1]
	e.PutVector(a)
	e.WriteFile(a.PIDRefsPath, []byte(b.CID)) // pid refs now names B, which nothing lists it in
	before := storeTree(e)
	info, be := findBroken(t, e, a.PID, hashstore.ErrOrphanPIDRefs)
	assert.Equal(t, b.CID, be.CID, "the error names the cid the pid refs file holds")
	assert.Equal(t, b.CID, info.CID)
	err := e.Store.TagObject(e.Context, a.PID, a.CID)
	requireTagged(t, err, hashstore.ErrPIDTaggedElsewhere, a.PID, b.CID, a.CID)
	unchanged(t, e, before)
}

func verifyCidRefsMissing(t *testing.T, e *Env) {
	v := Vectors()[2]
	e.PutVector(v)
	e.Remove(v.CIDRefsPath)
	info, be := findBroken(t, e, v.PID, hashstore.ErrOrphanPIDRefs)
	assert.Equal(t, v.CID, be.CID)
	assert.Equal(t, e.Path(v.CIDRefsPath), info.CIDRefsPath)
}

func verifyCidRefsLacksPid(t *testing.T, e *Env) {
	v := Vectors()[0]
	e.PutVector(v)
	for _, content := range []string{
		"dou.test.1\n",
		"dou.test.1\ndou.test.2\ndou.test.3\ndou.test.4\ndou.test.5\ndou.test.6\n",
		v.PID + "x\n" + "x" + v.PID + "\n", // near misses are not matches
	} {
		e.WriteFile(v.CIDRefsPath, []byte(content))
		findBroken(t, e, v.PID, hashstore.ErrPIDNotInCIDRefs)
	}
}

func writeRefsFilesForIDsWithPunctuation(t *testing.T, e *Env) {
	// cid refs: the pid on its line; pid refs: exactly the cid. The pid holds ':' and '/',
	// which are hashed, never used in paths.
	pid := "doi:10.18739/A2901ZH2M"
	require.NoError(t, e.Store.TagObject(e.Context, pid, javaCID))
	assert.Equal(t, pid, strings.TrimSpace(string(e.ReadFile(CIDRefsPath(javaCID)))))
	assert.Equal(t, javaCID, string(e.ReadFile(PIDRefsPath(pid))))
	assert.Equal(t, "refs/pids/0d/55/5e/d77052d7e166017f779cbc193357c3a5006ee8b8457230bcf7abcef65e", PIDRefsPath(pid))
	assert.True(t, e.Exists(PIDRefsPath(pid)))
}

func addPidToPythonCidRefs(t *testing.T, e *Env) {
	// A Python-written cid refs file with one pid: Go appends, keeping the existing bytes.
	writeForeignTag(e, "dou.test.1", javaCID, []byte("dou.test.1\n"))
	require.NoError(t, e.Store.TagObject(e.Context, "dou.test.2", javaCID))
	assert.Equal(t, "dou.test.1\ndou.test.2\n", string(e.ReadFile(CIDRefsPath(javaCID))))
	tagged(t, e, "dou.test.1", javaCID)
	tagged(t, e, "dou.test.2", javaCID)
}

func addFivePids(t *testing.T, e *Env) {
	require.NoError(t, e.Store.TagObject(e.Context, "dou.test.1", javaCID))
	want := []string{"dou.test.1"}
	for i := 2; i <= 6; i++ {
		pid := fmt.Sprintf("dou.test.%d", i)
		require.NoError(t, e.Store.TagObject(e.Context, pid, javaCID))
		want = append(want, pid)
	}
	assert.Equal(t, strings.Join(want, "\n")+"\n", string(e.ReadFile(CIDRefsPath(javaCID))))
	assert.Equal(t, 6, e.Count("refs/pids"))
	assert.Equal(t, 1, e.Count("refs/cids"))
}

func addPidAlreadyListed(t *testing.T, e *Env) {
	// An interrupted tag: the pid is listed in the cid refs file but has no pid refs file.
	// Tagging it again completes the tag without a duplicate line.
	e.WriteFile(CIDRefsPath(javaCID), []byte("dou.test.0\ndou.test.1\n"))
	require.NoError(t, e.Store.TagObject(e.Context, "dou.test.1", javaCID))
	assert.Equal(t, "dou.test.0\ndou.test.1\n", string(e.ReadFile(CIDRefsPath(javaCID))))
	assert.Equal(t, javaCID, string(e.ReadFile(PIDRefsPath("dou.test.1"))))
}

func removePidKeepsOthers(t *testing.T, e *Env) {
	v := Vectors()[1]
	e.PutVector(v)
	for _, pid := range []string{"dou.test.2", "dou.test.3"} {
		require.NoError(t, e.Store.TagObject(e.Context, pid, v.CID))
	}
	require.NoError(t, e.Store.DeleteObject(e.Context, "dou.test.2"))
	assert.Equal(t, v.PID+"\ndou.test.3\n", string(e.ReadFile(v.CIDRefsPath)))
	_, err := e.Store.FindObject(e.Context, "dou.test.2")
	assert.ErrorIs(t, err, hashstore.ErrNotFound)
	for _, pid := range []string{v.PID, "dou.test.3"} {
		_, err := e.Store.FindObject(e.Context, pid)
		assert.NoError(t, err, pid)
	}
	assert.True(t, e.Exists(v.ObjectPath))
}

func removePidNotListed(t *testing.T, e *Env) {
	v := Vectors()[1]
	e.PutVector(v)
	// The cid refs lists other pids, two of which contain the pid as a substring.
	content := []byte("dou.test.1\r\n" + v.PID + ".2\nx" + v.PID + "\n")
	e.WriteFile(v.CIDRefsPath, content)
	require.NoError(t, e.Store.DeleteObject(e.Context, v.PID))
	assert.Equal(t, content, e.ReadFile(v.CIDRefsPath), "cid refs untouched byte for byte")
	assert.True(t, e.Exists(v.ObjectPath))
	assert.False(t, e.Exists(v.PIDRefsPath))
}

func removePidFromEmptyCidRefs(t *testing.T, e *Env) {
	v := Vectors()[1]
	e.PutVector(v)
	e.WriteFile(v.CIDRefsPath, nil) // what the references leave after their last removal
	require.NoError(t, e.Store.DeleteObject(e.Context, v.PID))
	assert.True(t, e.Exists(v.CIDRefsPath), "the empty cid refs file is not the pid's to delete")
	assert.Empty(t, e.ReadFile(v.CIDRefsPath))
	assert.True(t, e.Exists(v.ObjectPath))
	assert.False(t, e.Exists(v.PIDRefsPath))
}

func refsLookup(t *testing.T, e *Env) {
	v := Vectors()[0]
	e.PutVector(v)
	for _, c := range []struct {
		content string
		present bool
	}{
		{v.PID + "\n", true},
		{v.PID, true}, // Java, no final newline
		{"dou.test.1\n" + v.PID + "\ndou.test.3\n", true},
		{"dou.test.1\r\n" + v.PID + "\r\n", true},     // CRLF
		{"dou.test.1\n\n  " + v.PID + "  \n\n", true}, // blank lines, Python's stripped compare
		{"dou.test.1\ndou.test.3\n", false},
		{v.PID + "0\n", false},
		{"dou.test.1\ndou.test.2\ndou.test.3\n0\n1\n", false},
	} {
		e.WriteFile(v.CIDRefsPath, []byte(c.content))
		_, err := e.Store.FindObject(e.Context, v.PID)
		if c.present {
			assert.NoError(t, err, "%q", c.content)
		} else {
			requireBroken(t, err, v.PID, hashstore.ErrPIDNotInCIDRefs)
		}
	}
}

func removeOnePidNothingScheduled(t *testing.T, e *Env) {
	v := Vectors()[2]
	e.PutVector(v)
	require.NoError(t, e.Store.TagObject(e.Context, "dou.test.2", v.CID))
	require.NoError(t, e.Store.DeleteObject(e.Context, v.PID))
	assert.Equal(t, "dou.test.2\n", string(e.ReadFile(v.CIDRefsPath)), "file kept with the other pid")
	assert.True(t, e.Exists(v.ObjectPath))
	assert.Empty(t, deleteLeftovers(e))
	e.TmpEmpty()
}

func deletionRenamesToDeleteSuffix(t *testing.T, e *Env) {
	// With unlinking failing, the files DeleteObject removed stay behind under their
	// "_delete" names: the object and cid refs (the only pid left) and the pid refs. The
	// delete itself has happened (the renames are the commit point).
	v := Vectors()[1]
	e.PutVector(v)
	s, ffs := openOnFaultFs(t, e)
	for k := 1; k <= 10; k++ {
		ffs.FailAt(faultfs.OpRemove, k, errInjected)
	}
	require.NoError(t, s.DeleteObject(e.Context, v.PID))
	for _, p := range []string{v.ObjectPath, v.CIDRefsPath, v.PIDRefsPath} {
		assert.False(t, e.Exists(p), p)
		assert.True(t, e.Exists(p+"_delete"), p+"_delete")
	}
	// Readers ignore the leftovers: the pid is gone.
	_, err := e.Store.FindObject(e.Context, v.PID)
	assert.ErrorIs(t, err, hashstore.ErrNotFound)
	_, err = e.Store.RetrieveObject(e.Context, v.PID)
	assert.ErrorIs(t, err, hashstore.ErrNotFound)
}

func deleteMarkedFiles(t *testing.T, e *Env) {
	// Every file renamed for deletion is unlinked: object, cid refs, pid refs and two
	// metadata documents. (The references' "empty list / None" arguments have no Go form.)
	v := Vectors()[0]
	e.PutVector(v)
	e.PutSysmeta(v)
	_, err := e.Store.StoreMetadata(e.Context, v.PID, strings.NewReader("<eml/>"), hashstore.WithFormatID("eml://ecoinformatics.org/eml-2.1.1"))
	require.NoError(t, err)
	require.NoError(t, e.Store.DeleteObject(e.Context, v.PID))
	assert.Empty(t, deleteLeftovers(e))
	assert.Zero(t, e.Count("objects")+e.Count("metadata")+e.Count("refs"))
	e.TmpEmpty()
}

func renameForDeletionThenRestore(t *testing.T, e *Env) {
	// DeleteObject renames the metadata document, the object, the cid refs and the pid refs
	// to their "_delete" names before unlinking anything. Make each of those renames fail in
	// turn: every earlier rename is undone and the store is exactly as it was.
	v := Vectors()[0]
	renames := 0
	for k := 1; k < 20; k++ {
		env := NewEnv(t, e.H, e.Config)
		env.PutVector(v)
		env.PutSysmeta(v)
		before := storeTree(env)
		s, ffs := openOnFaultFs(t, env)
		ffs.FailAt(faultfs.OpRename, k, errInjected)
		err := s.DeleteObject(env.Context, v.PID)
		if ffs.Injected() == 0 {
			require.NoError(t, err)
			break
		}
		renames++
		require.Error(t, err, "rename %d", k)
		assert.True(t, faultfs.IsInjected(err), "%v", err)
		unchanged(t, env, before, "rename %d", k)
		assert.Empty(t, deleteLeftovers(env))
		_, err = env.Store.FindObject(env.Context, v.PID)
		assert.NoError(t, err)
	}
	assert.GreaterOrEqual(t, renames, 4, "metadata, object, cid refs and pid refs are renamed")
}

// ---- section 6: untag, observable as the rollback of a failed TagObject and through
// DeleteObject of pids in the broken states untag handles.

func failedTagRollsBack(t *testing.T, e *Env) {
	// The cid refs file is written first, then the pid refs file. Make writing the pid refs
	// fail (its rename): the new cid refs file is removed again and the object is kept.
	v := Vectors()[0]
	putDataOnly(t, e, v.Data())
	before := storeTree(e)
	s, ffs := openOnFaultFs(t, e)
	ffs.FailAt(faultfs.OpRename, 2, errInjected)
	err := s.TagObject(e.Context, v.PID, v.CID)
	require.Error(t, err)
	assert.True(t, faultfs.IsInjected(err), "%v", err)
	assert.False(t, e.Exists(v.PIDRefsPath))
	assert.False(t, e.Exists(v.CIDRefsPath))
	assert.Equal(t, v.Data(), e.ReadFile(v.ObjectPath), "the object is never touched")
	assert.Equal(t, FilesOnly(before), fileTree(e))
	e.TmpEmpty()
	// and the tag can then be made
	require.NoError(t, e.Store.TagObject(e.Context, v.PID, v.CID))
	tagged(t, e, v.PID, v.CID)
}

func failedTagRollsBackAtEveryFailurePoint(t *testing.T, e *Env) {
	// Whatever single file-system call fails during TagObject (adding a second pid to a
	// cid), the references are either untouched or completely written: never a cid refs
	// file listing a pid without its pid refs file, nor a pid refs file whose pid the cid
	// refs file does not list.
	v := Vectors()[1]
	failureMatrix(t, e,
		func(env *Env) {
			putDataOnly(t, env, v.Data())
			require.NoError(t, env.Store.TagObject(env.Context, "dou.test.1", v.CID))
		},
		func(s hashstore.Store) error { return s.TagObject(e.Context, v.PID, v.CID) },
		func(t *testing.T, env *Env, err error) {
			if err == nil {
				assert.Equal(t, "dou.test.1\n"+v.PID+"\n", string(env.ReadFile(v.CIDRefsPath)))
			}
		})
}

func failedTagRestoresCidRefsExactly(t *testing.T, e *Env) {
	// A cid referenced by 4 pids, in a Java-written file (no final newline). A fifth tag
	// that fails puts the file back byte for byte; the 4 pid refs files stay.
	v := Vectors()[1]
	e.WriteFile(v.ObjectPath, v.Data())
	pids := []string{"dou.test.1", "dou.test.2", "dou.test.3", "dou.test.4"}
	for _, p := range pids {
		e.WriteFile(PIDRefsPath(p), []byte(v.CID))
	}
	cidRefs := []byte(strings.Join(pids, "\n"))
	e.WriteFile(v.CIDRefsPath, cidRefs)
	before := storeTree(e)
	s, ffs := openOnFaultFs(t, e)
	ffs.FailAt(faultfs.OpRename, 2, errInjected)
	err := s.TagObject(e.Context, "dou.test.5", v.CID)
	require.Error(t, err)
	assert.Equal(t, cidRefs, e.ReadFile(v.CIDRefsPath))
	assert.False(t, e.Exists(PIDRefsPath("dou.test.5")))
	assert.Equal(t, 4, e.Count("refs/pids"))
	assert.Equal(t, FilesOnly(before), fileTree(e))
	e.TmpEmpty()
}

func deleteOrphanPidRefsOfUnknownCid(t *testing.T, e *Env) {
	// pid refs naming a cid that has neither cid refs nor object.
	e.WriteFile(PIDRefsPath("dou.test.1"), []byte(javaCID))
	require.NoError(t, e.Store.DeleteObject(e.Context, "dou.test.1"))
	assert.Zero(t, e.Count("refs/pids"))
	assert.Zero(t, e.Count("refs/cids"))
	assert.Empty(t, deleteLeftovers(e))
}

func deleteRefsWithObjectMissing(t *testing.T, e *Env) {
	// Both pids tagged to a cid whose object does not exist. Deleting one takes it out of
	// the cid refs; deleting the last removes the cid refs file. (Python crashes here; Go
	// follows Java.)
	require.NoError(t, e.Store.TagObject(e.Context, "dou.test.1", javaCID))
	require.NoError(t, e.Store.TagObject(e.Context, "dou.test.2", javaCID))
	_, err := e.Store.FindObject(e.Context, "dou.test.1")
	requireBroken(t, err, "dou.test.1", hashstore.ErrObjectMissing)

	require.NoError(t, e.Store.DeleteObject(e.Context, "dou.test.1"))
	assert.False(t, e.Exists(PIDRefsPath("dou.test.1")))
	assert.Equal(t, "dou.test.2\n", string(e.ReadFile(CIDRefsPath(javaCID))))
	assert.True(t, e.Exists(PIDRefsPath("dou.test.2")))

	require.NoError(t, e.Store.DeleteObject(e.Context, "dou.test.2"))
	assert.Zero(t, e.Count("refs/pids"))
	assert.Zero(t, e.Count("refs/cids"))
	assert.Empty(t, deleteLeftovers(e))
}

func deletePidMissingFromCidRefs(t *testing.T, e *Env) {
	// pid refs present, the cid refs lists only another pid (which has its own pid refs);
	// no object. The pid's refs and metadata go; the rest stays.
	writeForeignTag(e, "dou.test.2", javaCID, []byte("dou.test.2\n"))
	e.WriteFile(PIDRefsPath("dou.test.1"), []byte(javaCID))
	e.WriteFile(MetadataPath("dou.test.1", hashstore.DefaultNamespace), []byte("<sysmeta/>"))
	require.NoError(t, e.Store.DeleteObject(e.Context, "dou.test.1"))
	assert.False(t, e.Exists(PIDRefsPath("dou.test.1")))
	assert.False(t, e.Exists(MetadataPath("dou.test.1", hashstore.DefaultNamespace)))
	assert.Equal(t, "dou.test.2\n", string(e.ReadFile(CIDRefsPath(javaCID))))
	assert.Equal(t, javaCID, string(e.ReadFile(PIDRefsPath("dou.test.2"))))
}
