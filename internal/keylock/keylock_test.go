package keylock

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLocalExcludesSameKeyOnly(t *testing.T) {
	var l Local
	ctx := context.Background()
	u1, err := l.Lock(ctx, PID, "a")
	require.NoError(t, err)
	// Other key and other kind with the same key are free.
	u2, err := l.Lock(ctx, PID, "b")
	require.NoError(t, err)
	u3, err := l.Lock(ctx, CID, "a")
	require.NoError(t, err)
	_, ok := l.TryLock(PID, "a")
	assert.False(t, ok, "same key must be exclusive")
	u1()
	u4, ok := l.TryLock(PID, "a")
	assert.True(t, ok)
	u4()
	u2()
	u3()
	assert.Equal(t, 0, l.held(), "entries must be dropped when unused")
}

func TestLocalWaitEndsWithContext(t *testing.T) {
	var l Local
	u, err := l.Lock(context.Background(), CID, "x")
	require.NoError(t, err)
	defer u()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = l.Lock(ctx, CID, "x")
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Less(t, time.Since(start), 2*time.Second)

	cancelled, cancel2 := context.WithCancel(context.Background())
	cancel2()
	_, err = l.Lock(cancelled, PID, "free")
	assert.ErrorIs(t, err, context.Canceled, "a cancelled context never acquires, even a free key")
}

func TestLocalMutualExclusionUnderContention(t *testing.T) {
	var l Local
	var inside, maxInside atomic.Int32
	var wg sync.WaitGroup
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			u, err := l.Lock(context.Background(), Metadata, "doc")
			if err != nil {
				t.Error(err)
				return
			}
			n := inside.Add(1)
			for {
				m := maxInside.Load()
				if n <= m || maxInside.CompareAndSwap(m, n) {
					break
				}
			}
			time.Sleep(100 * time.Microsecond)
			inside.Add(-1)
			u()
			u() // a second call is harmless
		}()
	}
	wg.Wait()
	assert.Equal(t, int32(1), maxInside.Load())
	assert.Equal(t, 0, l.held())
}

func TestKindString(t *testing.T) {
	assert.Equal(t, "pid", PID.String())
	assert.Equal(t, "cid", CID.String())
	assert.Equal(t, "metadata", Metadata.String())
}
