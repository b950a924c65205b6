package gctune

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func read(t *testing.T, name string) uint64 {
	t.Helper()
	s := []metrics.Sample{{Name: name}}
	metrics.Read(s)
	require.Equal(t, metrics.KindUint64, s[0].Value.Kind(), name)
	return s[0].Value.Uint64()
}

// eventually collects until cond holds (the tuner hears of a cycle a moment after it ends).
func eventually(t *testing.T, cond func() bool) bool {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); {
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
		if cond() {
			return true
		}
	}
	return false
}

func TestFloorGivesASmallHeapItsHeadroom(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(50))
	const headroom = 64 << 20
	stop := Floor(headroom, 50)
	defer stop()
	ok := eventually(t, func() bool {
		live, goal := read(t, "/gc/heap/live:bytes"), read(t, "/gc/heap/goal:bytes")
		return live < 16<<20 && goal >= live+headroom*99/100
	})
	live, goal := read(t, "/gc/heap/live:bytes"), read(t, "/gc/heap/goal:bytes")
	require.Less(t, goal, live+headroom*11/10, "the goal must be live + headroom, not more")
	require.True(t, ok, "heap goal %d for %d live: not live + 64 MiB (GOGC %d)",
		read(t, "/gc/heap/goal:bytes"), read(t, "/gc/heap/live:bytes"), read(t, "/gc/gogc:percent"))
	require.Greater(t, read(t, "/gc/gogc:percent"), uint64(400))
}

func TestFloorKeepsTheProportionalLimitForLargeHeaps(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	stop := Floor(1<<20, 50)
	defer stop()
	keep := make([]*[1 << 20]byte, 96)
	for i := range keep {
		keep[i] = new([1 << 20]byte)
	}
	ok := eventually(t, func() bool { return read(t, "/gc/gogc:percent") == 50 })
	live, goal := read(t, "/gc/heap/live:bytes"), read(t, "/gc/heap/goal:bytes")
	require.True(t, ok, "GOGC %d with %d live", read(t, "/gc/gogc:percent"), live)
	require.GreaterOrEqual(t, live, uint64(96<<20))
	require.Less(t, goal, live*16/10, "the goal must stay at 1.5x the live heap, not live + headroom")
	runtime.KeepAlive(keep)
}

func TestStopRestoresGOGCAndStopsTuning(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(73))
	stop := Floor(64<<20, 50)
	require.True(t, eventually(t, func() bool { return read(t, "/gc/gogc:percent") != 73 }), "Floor changed nothing")
	stop()
	require.Equal(t, uint64(73), read(t, "/gc/gogc:percent"))
	// Cycles after stop leave it alone.
	for range 5 {
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
	require.Equal(t, uint64(73), read(t, "/gc/gogc:percent"))
}
