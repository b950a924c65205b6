package cli

import (
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The tests of a damaged or hostile store run the real program, as an operator would: a hang
// must show as a process that did not exit in time (and is killed), a crash as a Go panic
// trace on stderr, and memory as the child's peak resident set. This file builds the program
// once for the whole test binary and runs it.

// shared is the program built once for every test of this package that needs a process.
var shared struct {
	once sync.Once
	dir  string // removed by TestMain
	bin  string
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if shared.dir != "" {
		os.RemoveAll(shared.dir)
	}
	os.Exit(code)
}

// sharedBinary returns the hashstore program, built on first use into a directory that any
// user may read, so that children running as another user (childUser) can execute it.
func sharedBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the program")
	}
	shared.once.Do(func() {
		dir, err := os.MkdirTemp("", "hashstore-bin-")
		if err == nil {
			err = os.Chmod(dir, 0o755)
		}
		if err != nil {
			shared.err = err
			return
		}
		shared.dir = dir
		shared.bin = filepath.Join(dir, "hashstore")
		out, err := exec.Command("go", "build", "-o", shared.bin, "github.com/hashstore-go/hashstore/cmd/hashstore").CombinedOutput()
		if err != nil {
			shared.err = errors.New("go build: " + err.Error() + ": " + string(out))
		}
	})
	require.NoError(t, shared.err)
	return shared.bin
}

// nobody is the user the children run as when the tests run as root: root reads a file of
// mode 000 anyway, so an unreadable entry could not be tested otherwise.
const nobody = 65534

// childUser returns the uid and gid children run as, and whether they differ from ours.
func childUser() (uid, gid int, switched bool) {
	if os.Geteuid() == 0 {
		return nobody, nobody, true
	}
	return os.Geteuid(), os.Getegid(), false
}

// giveToChild makes everything below dir (dir included, links themselves not followed) owned
// by the children's user, so that they can write where the tests set things up as root.
func giveToChild(t *testing.T, dir string) {
	t.Helper()
	uid, gid, switched := childUser()
	if !switched {
		return
	}
	err := filepath.WalkDir(dir, func(p string, _ os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, uid, gid)
	})
	require.NoError(t, err)
}

// procResult is what one run of the program did.
type procResult struct {
	code           int // exit status; -1 when killed
	stdout, stderr string
	hung           bool          // it did not exit within its deadline and was killed
	elapsed        time.Duration // from start to exit
	maxRSSKiB      int64         // its peak resident set (see measured)
}

// crashed reports whether stderr shows a Go runtime failure: a panic or a fatal error.
func (r procResult) crashed() bool {
	for _, sign := range []string{"panic:", "fatal error:", "goroutine ", "SIGSEGV", "runtime error"} {
		if strings.Contains(r.stderr, sign) {
			return true
		}
	}
	return false
}

// proc describes how to run the program: its path, its environment and its working directory.
type proc struct {
	bin   string
	dir   string   // working directory ("" for ours)
	env   []string // added to ours
	stdin io.Reader
	// asUs runs the child as the test's own user even when childUser would switch.
	asUs bool
	// rssFile, when set, runs the program under GNU time, which writes its peak resident set
	// there (see run).
	rssFile string
}

// timeProgram is GNU time, which reports the peak resident set of a program it forks itself.
const timeProgram = "/usr/bin/time"

// start starts the program with args, as the children's user, in a process group of its own.
func (p proc) start(args []string, stdout, stderr io.Writer) (*exec.Cmd, error) {
	bin := p.bin
	if p.rssFile != "" {
		args = append([]string{"-f", "%M", "-o", p.rssFile, p.bin}, args...)
		bin = timeProgram
	}
	cmd := exec.Command(bin, args...)
	cmd.Dir = p.dir
	cmd.Env = append(os.Environ(), p.env...)
	cmd.Stdin = p.stdin
	cmd.Stdout, cmd.Stderr = stdout, stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if uid, gid, switched := childUser(); switched && !p.asUs {
		cmd.SysProcAttr.Credential = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: []uint32{}}
	}
	return cmd, cmd.Start()
}

// run runs the program with args and waits at most deadline for it to exit; past that it is
// killed (with everything in its process group) and the result says hung.
func (p proc) run(t *testing.T, deadline time.Duration, args ...string) procResult {
	t.Helper()
	var stdout, stderr bytes.Buffer
	begin := time.Now()
	cmd, err := p.start(args, &stdout, &stderr)
	require.NoError(t, err)
	return wait(t, cmd, begin, deadline, &stdout, &stderr)
}

// measured runs the program as run does and returns its own peak resident set in KiB. The
// kernel's rusage of a child we start ourselves is no measure of it: a child that shares the
// test's memory until it executes the program (as Go starts processes) keeps the test's peak
// in its rusage. GNU time forks a child of its own and reports that one's; without GNU time,
// the rusage is used, an upper bound.
func (p proc) measured(t *testing.T, deadline time.Duration, args ...string) procResult {
	t.Helper()
	if _, err := os.Stat(timeProgram); err != nil {
		t.Logf("no %s: peak memory is an upper bound (it includes the test's own)", timeProgram)
		return p.run(t, deadline, args...)
	}
	f, err := os.CreateTemp("", "hashstore-rss-")
	require.NoError(t, err)
	require.NoError(t, f.Close())
	defer os.Remove(f.Name())
	giveToChild(t, f.Name())
	p.rssFile = f.Name()
	r := p.run(t, deadline, args...)
	data, err := os.ReadFile(f.Name())
	require.NoError(t, err)
	// GNU time reports a program that exited with a status other than 0 on a line of its own
	// before the format's output: the figure is the last line.
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	kib, err := strconv.ParseInt(strings.TrimSpace(lines[len(lines)-1]), 10, 64)
	require.NoError(t, err, "GNU time wrote %q", data)
	r.maxRSSKiB = kib
	return r
}

// wait waits for cmd, started at begin, at most deadline, killing it past that.
func wait(t *testing.T, cmd *exec.Cmd, begin time.Time, deadline time.Duration, stdout, stderr *bytes.Buffer) procResult {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var r procResult
	var err error
	select {
	case err = <-done:
	case <-time.After(deadline):
		r.hung = true
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		err = <-done
	}
	r.elapsed = time.Since(begin)
	r.stdout, r.stderr = stdout.String(), stderr.String()
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	default:
		require.NoError(t, err)
	}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		r.maxRSSKiB = ru.Maxrss // kilobytes on Linux
	}
	return r
}

// removeAllForced removes dir even where a test left directories of mode 000 in it (which a
// user other than root cannot list).
func removeAllForced(dir string) {
	var open func(string)
	open = func(d string) {
		_ = os.Chmod(d, 0o700)
		entries, _ := os.ReadDir(d)
		for _, e := range entries {
			if e.IsDir() {
				open(filepath.Join(d, e.Name()))
			}
		}
	}
	open(dir)
	_ = os.RemoveAll(dir)
}

// openTempDir returns a fresh directory that the children's user owns and everyone may
// traverse (t.TempDir's parents are private to the test's user), removed after the test.
func openTempDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "hashstore-hostile-")
	require.NoError(t, err)
	t.Cleanup(func() { removeAllForced(dir) })
	require.NoError(t, os.Chmod(dir, 0o755))
	giveToChild(t, dir)
	return dir
}
