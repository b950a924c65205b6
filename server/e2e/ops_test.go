package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hashstore-go/hashstore/hashstore"
	"github.com/hashstore-go/hashstore/server/servertest"
)

// statusCounts reads hey's "Status code distribution" section.
func statusCounts(t *testing.T, out string) map[int]int {
	t.Helper()
	i := strings.Index(out, "Status code distribution:")
	require.GreaterOrEqual(t, i, 0, out)
	counts := map[int]int{}
	for _, m := range regexp.MustCompile(`\[(\d+)\]\s+(\d+) responses`).FindAllStringSubmatch(out[i:], -1) {
		code, _ := strconv.Atoi(m[1])
		n, _ := strconv.Atoi(m[2])
		counts[code] = n
	}
	return counts
}

// TestOverload drives the server with hey at 10x its read and write concurrency: every
// answer is a success or a 503 (no error, no timeout), and the process stays within
// --max-memory.
func TestOverload(t *testing.T) {
	hey := tool(t, "hey", "hey")
	e := newEnv(t)
	const maxMemory = 64 << 20
	s := e.serve("--max-memory", "64MiB", "--max-reads", "4", "--max-writes", "2", "--queue-timeout", "20ms")
	data := servertest.PseudoRandom(1, 4<<20)
	e.hs("store", "--pid", "hot.1", e.write("hot", data))
	e.hs("metadata", "put", "--pid", "hot.1", e.write("hot.xml", servertest.Sysmeta("hot.1", data, true)))

	code, out := run(t, 5*time.Minute, hey, "-n", "400", "-c", "40", "-t", "60", s.url+"/mn/v2/object/hot.1")
	require.Zero(t, code, out)
	reads := statusCounts(t, out)
	assert.Equal(t, 400, reads[200]+reads[503], "only 200 and 503: %v\n%s", reads, out)
	assert.Positive(t, reads[200], "%v", reads)
	assert.Positive(t, reads[503], "the pool was full at times: %v", reads)
	assert.NotContains(t, out, "Error distribution", "no client error")

	body := e.write("up", servertest.PseudoRandom(2, 2<<20))
	code, out = run(t, 5*time.Minute, hey, "-n", "100", "-c", "20", "-t", "60", "-m", "POST", "-D", body,
		"-H", "Authorization: Bearer "+token, s.url+"/hs/v1/object")
	require.Zero(t, code, out)
	writes := statusCounts(t, out)
	assert.Equal(t, 100, writes[201]+writes[503], "only 201 and 503: %v\n%s", writes, out)
	assert.Positive(t, writes[201], "%v", writes)
	assert.NotContains(t, out, "Error distribution", "no client error")

	rss := s.peakRSS()
	t.Logf("reads %v, writes %v, peak RSS %.1f MiB", reads, writes, float64(rss)/(1<<20))
	assert.LessOrEqual(t, rss, int64(maxMemory), "peak RSS within --max-memory")
}

// TestKillMidUpload: a server killed (SIGKILL) while an upload streams in leaves no object and
// no tag; an audit finds only the abandoned temp file, and its repair leaves a clean store.
func TestKillMidUpload(t *testing.T) {
	curl := tool(t, "curl", "curl")
	e := newEnv(t)
	s := e.serve()
	big := e.write("big", servertest.PseudoRandom(3, 64<<20))
	for _, route := range []string{"native", "create"} {
		pid := "killed." + route
		args := []string{"-sS", "--limit-rate", "4M", "-H", "Authorization: Bearer " + token}
		if route == "native" {
			args = append(args, "-T", big, s.url+"/hs/v1/object/"+pid)
		} else {
			sm := e.write(pid+".xml", servertest.Sysmeta(pid, servertest.PseudoRandom(3, 64<<20), true))
			args = append(args, "-F", "sysmeta=@"+sm, "-F", "pid="+pid, "-F", "object=@"+big, s.url+"/mn/v2/object")
		}
		ctx, cancel := context.WithCancel(context.Background())
		up := exec.CommandContext(ctx, curl, args...)
		require.NoError(t, up.Start())
		tmp := filepath.Join(e.store, "objects", "tmp")
		require.Eventually(t, func() bool {
			entries, _ := os.ReadDir(tmp)
			for _, en := range entries {
				if fi, err := en.Info(); err == nil && fi.Size() > 1<<20 {
					return true
				}
			}
			return false
		}, 30*time.Second, 10*time.Millisecond, "the upload is under way")
		s.stop(syscall.SIGKILL)
		up.Wait()
		cancel()

		st, err := hashstore.Open(e.store)
		require.NoError(t, err)
		_, err = st.FindObject(t.Context(), pid)
		assert.ErrorIs(t, err, hashstore.ErrNotFound, "no tag")
		var classes []hashstore.FindingClass
		sum, err := st.Audit(t.Context(), hashstore.AuditOptions{TempGrace: -1}, func(f hashstore.Finding) error {
			classes = append(classes, f.Class)
			return nil
		})
		require.NoError(t, err)
		assert.Equal(t, []hashstore.FindingClass{hashstore.FindingAbandonedTemp}, classes, "only the temp file of the upload")
		sum, err = st.Audit(t.Context(), hashstore.AuditOptions{TempGrace: -1, Repair: true}, nil)
		require.NoError(t, err)
		assert.Equal(t, 1, sum.Repaired)
		sum, err = st.Audit(t.Context(), hashstore.AuditOptions{TempGrace: -1}, nil)
		require.NoError(t, err)
		assert.True(t, sum.Clean)
		assert.Zero(t, sum.Findings)
		s = e.serve()
	}
}

// TestSIGTERMLetsUploadsFinish: SIGTERM stops new connections but lets an upload in flight
// finish; the process then exits 0.
func TestSIGTERMLetsUploadsFinish(t *testing.T) {
	curl := tool(t, "curl", "curl")
	e := newEnv(t)
	s := e.serve("--shutdown-grace", "60s")
	data := servertest.PseudoRandom(4, 12<<20)
	f := e.write("up", data)
	up := exec.Command(curl, "-sS", "--limit-rate", "4M", "-o", "/dev/null", "-w", "%{http_code}",
		"-H", "Authorization: Bearer "+token, "-T", f, s.url+"/hs/v1/object/term.1")
	var out strings.Builder
	up.Stdout = &out
	require.NoError(t, up.Start())
	require.Eventually(t, func() bool {
		entries, _ := os.ReadDir(filepath.Join(e.store, "objects", "tmp"))
		return len(entries) > 0
	}, 30*time.Second, 10*time.Millisecond)
	require.NoError(t, s.cmd.Process.Signal(syscall.SIGTERM))
	require.Eventually(t, func() bool {
		code, _ := run(t, 10*time.Second, curl, "-sS", "-o", "/dev/null", s.url+"/mn/v2/monitor/ping")
		return code == 7 // connection refused
	}, 10*time.Second, 20*time.Millisecond, "no new connections once draining")
	require.NoError(t, up.Wait())
	assert.Equal(t, "201", out.String(), "the upload in flight finished")
	assert.Equal(t, 0, s.wait(), "%s", s.stderr)
	assert.Contains(t, s.stderr.String(), "shutting down")
	st, err := hashstore.Open(e.store)
	require.NoError(t, err)
	info, err := st.FindObject(t.Context(), "term.1")
	require.NoError(t, err)
	assert.Equal(t, sha256Hex(data), info.CID)
}
