package hashstoretest

// Failure injection: a second store on a view of the case's filesystem where chosen calls fail
// (internal/faultfs), and the all-or-nothing check that runs an operation once per failure
// point (docs/FORMAT.md 6.3).

import (
	"maps"
	"strconv"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hashstore-go/hashstore/hashstore"
	"github.com/hashstore-go/hashstore/internal/faultfs"
)

// openOnFaultFs opens a second store on the same root through a fault-injecting view of the
// environment's filesystem. Failures armed on the returned *faultfs.FS hit that store only.
func openOnFaultFs(t *testing.T, e *Env) (hashstore.Store, *faultfs.FS) {
	t.Helper()
	ffs := faultfs.New(e.Fs)
	s, err := e.H.Open(t, ffs, e.Root, e.Config)
	require.NoError(t, err)
	return s, ffs
}

// errInjected is the cause used for injected failures.
var errInjected = syscall.EIO

// faultOps are the kinds of call the failure matrices make fail, one call at a time. Remove is
// left out: it only runs on cleanup paths, where a failure is a second fault.
var faultOps = []faultfs.Op{
	faultfs.OpCreate, faultfs.OpOpen, faultfs.OpWrite, faultfs.OpSync, faultfs.OpClose,
	faultfs.OpRename, faultfs.OpMkdir, faultfs.OpChmod, faultfs.OpStat, faultfs.OpReadDir,
}

// failureMatrix runs op once per failure point: for every kind in faultOps and k = 1, 2, ...
// it makes a fresh store, runs setup on it, then runs op on a fault-injecting view with the
// k-th call of that kind failing, until op no longer reaches a k-th call.
//
// The files (storeTree without directories) must then be in one of two states: as after a run
// of op with nothing failing (required when op returned nil), or, when op returned an error,
// also as they were before op. An fsync that fails after the last rename may leave the change
// made but not known to be durable, so the "done" state is accepted with an error; a third
// state (half a change: a dangling reference, a stray temp or "_delete" file) never is. check,
// if not nil, is called with every run's environment and error for further assertions.
func failureMatrix(t *testing.T, e *Env, setup func(*Env), op func(hashstore.Store) error, check func(t *testing.T, env *Env, err error)) {
	t.Helper()
	clean := NewEnv(t, e.H, e.Config)
	setup(clean)
	require.NoError(t, op(clean.Store), "the operation without failures")
	done := fileTree(clean)
	for _, kind := range faultOps {
		for k := 1; k < 200; k++ {
			env := NewEnv(t, e.H, e.Config)
			setup(env)
			before := fileTree(env)
			s, ffs := openOnFaultFs(t, env)
			ffs.FailAt(kind, k, errInjected)
			err := op(s)
			if ffs.Injected() == 0 {
				require.NoError(t, err, "%v call %d was not reached, so nothing failed", kind, k)
				break
			}
			t.Run(kind.String()+"_"+strconv.Itoa(k), func(t *testing.T) {
				after := fileTree(env)
				switch {
				case err == nil:
					assert.Equal(t, done, after, "succeeded despite the failure, so the change must be complete")
				case maps.Equal(after, before):
				case maps.Equal(after, done):
					t.Logf("failed (%v) after completing the change", err)
				default:
					assert.Equal(t, before, after, "failed (%v): the files must be as before (or as after success), not half changed", err)
				}
				env.TmpEmpty()
				if check != nil {
					check(t, env, err)
				}
			})
		}
	}
}
