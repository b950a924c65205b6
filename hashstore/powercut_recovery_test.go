package hashstore_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"testing"

	"github.com/spf13/afero"
	"github.com/stretchr/testify/require"

	"github.com/hashstore-go/hashstore/hashstore"
	"github.com/hashstore-go/hashstore/internal/crashfs"
)

// pcRoot is where the power-cut tests put their store on the simulated disk.
const pcRoot = "/store"

// pcNewStore makes an empty store on a new simulated disk with opts, durable, and opens it
// again as a program does after a reboot.
func pcNewStore(t testing.TB, disk *crashfs.FS, opts ...hashstore.Option) *hashstore.FileHashStore {
	t.Helper()
	_, err := hashstore.New(pcRoot, hashstore.DefaultConfig(), append([]hashstore.Option{hashstore.WithFs(disk)}, opts...)...)
	require.NoError(t, err)
	require.NoError(t, disk.SyncAll())
	return pcOpen(t, disk, opts...)
}

// pcOpen opens the store on disk with opts.
func pcOpen(t testing.TB, disk *crashfs.FS, opts ...hashstore.Option) *hashstore.FileHashStore {
	t.Helper()
	s, err := hashstore.Open(pcRoot, append([]hashstore.Option{hashstore.WithFs(disk)}, opts...)...)
	require.NoError(t, err)
	return s
}

// pcRead reads pid's object through the API, verified against its cid.
func pcRead(s *hashstore.FileHashStore, pid string) ([]byte, error) {
	r, err := s.RetrieveObject(context.Background(), pid, hashstore.WithVerify())
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return io.ReadAll(r)
}

// pcDamage says how a crashed object file differs from the content stored: "" when it is
// missing or right.
func pcDamage(t testing.TB, disk *crashfs.FS, objectPath string, want []byte) string {
	t.Helper()
	got, err := afero.ReadFile(disk, objectPath)
	switch {
	case errors.Is(err, afero.ErrFileNotFound):
		return ""
	case err != nil:
		require.NoError(t, err)
	case bytes.Equal(got, want):
		return ""
	case len(got) == len(want):
		return "torn" // the right size, some blocks lost: only rehashing tells
	case len(got) == 0:
		return "empty"
	}
	return "cut short"
}

// TestPowerCutWithRecoveryMatters stores an object in a group commit and cuts the power before
// the Sync (the same object was stored and deleted before, durably, so that its directories
// exist and the crash decides about its files alone). Random crashes (with torn writes) leave the object's file empty, cut short, or the
// right size with lost blocks, some of them under a complete tag. Storing the same content
// again without WithRecovery trusts what is there: it fails (an object of the wrong size), or
// succeeds or reports the pid already tagged while the store keeps serving a corrupt object.
// With WithRecovery the call completes and the object reads back verified.
func TestPowerCutWithRecoveryMatters(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	// Small, in blocks of 4 bytes: the crash chooses a torn file's length among 9, so that
	// some torn files keep the full length.
	data := []byte("torn up\n")
	const pid = "recover.1"
	group := hashstore.WithGroupCommit()
	// crash returns the store after a crash with policy that follows an unsynced StoreObject,
	// and the object's path.
	crash := func(seed int64) (*crashfs.FS, *hashstore.FileHashStore, string) {
		disk := crashfs.New(crashfs.WithTornWrites(4))
		s := pcNewStore(t, disk, group)
		// Stored and deleted first, durably: the shard directories stay (no implementation
		// removes them), so that the crash decides about the files alone.
		_, err := s.StoreObject(ctx, bytes.NewReader(data), hashstore.WithPID(pid))
		require.NoError(t, err)
		require.NoError(t, s.Sync(ctx))
		require.NoError(t, s.DeleteObject(ctx, pid))
		require.NoError(t, s.Sync(ctx))
		meta, err := s.StoreObject(ctx, bytes.NewReader(data), hashstore.WithPID(pid))
		require.NoError(t, err)
		info, err := s.FindObject(ctx, pid)
		require.NoError(t, err)
		require.Equal(t, meta.CID, info.CID)
		disk.PowerCut()
		disk.Crash(crashfs.Random(seed))
		return disk, pcOpen(t, disk, group), info.ObjectPath
	}
	seen := map[string]int{}
	tagged := 0 // damaged objects under a complete tag
	for seed := range int64(1000) {
		disk, s, objectPath := crash(seed)
		damage := pcDamage(t, disk, objectPath, data)
		if damage == "" {
			continue
		}
		seen[damage]++
		_, findErr := s.FindObject(ctx, pid)
		if findErr == nil {
			tagged++
		}

		// Without WithRecovery: the damage stays, whatever the call says.
		_, err := s.StoreObject(ctx, bytes.NewReader(data), hashstore.WithPID(pid))
		if err != nil {
			require.Truef(t, errors.Is(err, hashstore.ErrCorrupt) || errors.Is(err, hashstore.ErrAlreadyTagged) ||
				errors.Is(err, hashstore.ErrOrphanRefs) || errors.Is(err, hashstore.ErrPIDTaggedElsewhere),
				"seed %d (%s): %v", seed, damage, err)
		}
		require.NoError(t, s.Sync(ctx))
		require.NotEmptyf(t, pcDamage(t, disk, objectPath, data), "seed %d (%s): without WithRecovery the object stays damaged", seed, damage)
		if got, err := pcRead(s, pid); err == nil {
			require.Equal(t, data, got, "seed %d: a verified read never serves wrong bytes", seed)
		}

		// With WithRecovery, from the same crash.
		disk, s, _ = crash(seed)
		require.Equal(t, damage, pcDamage(t, disk, objectPath, data), "the same seed, the same crash")
		_, err = s.StoreObject(ctx, bytes.NewReader(data), hashstore.WithPID(pid), hashstore.WithRecovery())
		if err != nil {
			require.ErrorIsf(t, err, hashstore.ErrAlreadyTagged, "seed %d (%s)", seed, damage)
		}
		require.NoError(t, s.Sync(ctx))
		got, err := pcRead(s, pid)
		require.NoErrorf(t, err, "seed %d (%s): with WithRecovery the object is whole", seed, damage)
		require.Equal(t, data, got)
		require.Empty(t, pcDamage(t, disk, objectPath, data))
		sum, err := s.Audit(ctx, hashstore.AuditOptions{Rehash: true}, nil)
		require.NoError(t, err)
		require.True(t, sum.Clean, "seed %d (%s): %+v", seed, damage, sum)
	}
	t.Logf("damaged objects by kind: %v; %d of them under a complete tag", seen, tagged)
	for _, kind := range []string{"empty", "cut short", "torn"} {
		require.Positivef(t, seen[kind], "some crash left the object %s", kind)
	}
	require.Positive(t, tagged, "some crash left a damaged object under a complete tag")
}
