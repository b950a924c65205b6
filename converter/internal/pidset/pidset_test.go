package pidset

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestHashIsFNV1a64 pins the shard function: shards of runs made by earlier versions must keep
// their pids, so these values may never change.
func TestHashIsFNV1a64(t *testing.T) {
	require.Equal(t, uint64(0xcbf29ce484222325), Hash(""))
	require.Equal(t, uint64(0xaf63dc4c8601ec8c), Hash("a"))
	require.Equal(t, uint64(0x85944171f73967e8), Hash("foobar"))
}

func TestSetFindsWhatItHolds(t *testing.T) {
	var s Set
	for i := range 100000 {
		_, seen := s.LookupOrAdd(Hash(fmt.Sprint(i)), uint32(i))
		require.False(t, seen)
	}
	for i := range 100000 {
		v, seen := s.LookupOrAdd(Hash(fmt.Sprint(i)), 1<<31)
		require.True(t, seen)
		require.Equal(t, uint32(i), v)
	}
	_, seen := s.LookupOrAdd(0, 7)
	require.False(t, seen)
	v, seen := s.LookupOrAdd(0, 8)
	require.True(t, seen)
	require.Equal(t, uint32(7), v)
	require.LessOrEqual(t, len(s.keys), 262144, "at most 8/3 slots per pid after growth")
}

func TestContainsSeesOnlyWhatWasAdded(t *testing.T) {
	var s Set
	require.False(t, s.Contains(Hash("a")), "an empty set holds nothing")
	require.False(t, s.Contains(0))
	for i := range 5000 {
		s.LookupOrAdd(Hash(fmt.Sprint(i)), uint32(i))
	}
	s.LookupOrAdd(0, 1)
	for i := range 5000 {
		require.True(t, s.Contains(Hash(fmt.Sprint(i))))
		require.False(t, s.Contains(Hash(fmt.Sprint("x", i))))
	}
	require.True(t, s.Contains(0))
}
