package e2e

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

const token = "e2e-write-token"

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// binary builds the hashstore command once per test run.
func binary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the hashstore command")
	}
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "hashstore-e2e-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "hashstore")
		out, err := exec.Command("go", "build", "-o", binPath, "github.com/hashstore-go/hashstore/cmd/hashstore").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v: %s", err, out)
		}
	})
	require.NoError(t, buildErr)
	return binPath
}

// tool returns the path of an external client, or skips the test with the package to install.
func tool(t *testing.T, name, pkg string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Skipf("%s is not installed (apt-get install -y %s); this test needs it", name, pkg)
	}
	return p
}

// env is a store directory with a token file.
type env struct {
	t     *testing.T
	dir   string
	store string
	tok   string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	dir := t.TempDir()
	e := &env{t: t, dir: dir, store: filepath.Join(dir, "store"), tok: filepath.Join(dir, "token")}
	require.NoError(t, os.WriteFile(e.tok, []byte(token+"\n"), 0o600))
	e.hs("init", "-q")
	return e
}

// hs runs the command on the store and requires success.
func (e *env) hs(args ...string) string {
	e.t.Helper()
	out, err := exec.Command(binary(e.t), append([]string{"--store", e.store}, args...)...).CombinedOutput()
	require.NoError(e.t, err, "hashstore %v: %s", args, out)
	return string(out)
}

// server is a running serve process.
type server struct {
	t      *testing.T
	cmd    *exec.Cmd
	url    string
	stderr *lockedBuffer
	exited chan error
}

var listening = regexp.MustCompile(`on (https?://127\.0\.0\.1:\d+)`)

// serve starts "hashstore serve" on a free loopback port with the token and extra flags, and
// waits until it listens.
func (e *env) serve(flags ...string) *server {
	e.t.Helper()
	args := append([]string{"--store", e.store, "serve", "--listen", "127.0.0.1:0", "--write-token-file", e.tok}, flags...)
	cmd := exec.Command(binary(e.t), args...)
	pipe, err := cmd.StderrPipe()
	require.NoError(e.t, err)
	require.NoError(e.t, cmd.Start())
	s := &server{t: e.t, cmd: cmd, stderr: &lockedBuffer{}, exited: make(chan error, 1)}
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pipe)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			s.stderr.WriteString(line + "\n")
			if m := listening.FindStringSubmatch(line); m != nil && strings.HasPrefix(line, "hashstore: serving") {
				select {
				case found <- m[1]:
				default:
				}
			}
		}
		s.exited <- cmd.Wait()
	}()
	select {
	case s.url = <-found:
	case err := <-s.exited:
		e.t.Fatalf("serve exited at start: %v\n%s", err, s.stderr)
	case <-time.After(20 * time.Second):
		e.t.Fatalf("serve did not start:\n%s", s.stderr)
	}
	e.t.Cleanup(func() {
		if s.cmd.ProcessState == nil {
			s.cmd.Process.Kill()
			<-s.exited
		}
	})
	return s
}

// stop sends sig and waits for the process to exit, returning its exit code.
func (s *server) stop(sig syscall.Signal) int {
	s.t.Helper()
	require.NoError(s.t, s.cmd.Process.Signal(sig))
	return s.wait()
}

// wait waits for the process to exit and returns its exit code (-1 if a signal killed it).
func (s *server) wait() int {
	s.t.Helper()
	select {
	case <-s.exited:
	case <-time.After(60 * time.Second):
		s.t.Fatal("serve did not exit")
	}
	return s.cmd.ProcessState.ExitCode()
}

// peakRSS is the process's peak resident set size (VmHWM), in bytes.
func (s *server) peakRSS() int64 {
	s.t.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
	require.NoError(s.t, err)
	m := regexp.MustCompile(`VmHWM:\s+(\d+) kB`).FindSubmatch(data)
	require.NotNil(s.t, m, "%s", data)
	kb, _ := strconv.ParseInt(string(m[1]), 10, 64)
	return kb << 10
}

// run runs an external command and returns its exit code and combined output.
func run(t *testing.T, timeout time.Duration, name string, args ...string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("%s %v: timed out:\n%s", name, args, out.String())
	}
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), out.String()
	}
	require.NoError(t, err, "%s %v", name, args)
	return 0, out.String()
}

func sha256File(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	h := sha256.New()
	_, err = io.Copy(h, f)
	require.NoError(t, err)
	return hex.EncodeToString(h.Sum(nil))
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// objectFile is where the store keeps the object named cid.
func (e *env) objectFile(cid string) string {
	return filepath.Join(e.store, "objects", cid[:2], cid[2:4], cid[4:6], cid[6:])
}

// corrupt flips one byte of an object in place (same size, same file).
func (e *env) corrupt(cid string, at int64) {
	e.t.Helper()
	f, err := os.OpenFile(e.objectFile(cid), os.O_RDWR, 0)
	require.NoError(e.t, err)
	defer f.Close()
	b := make([]byte, 1)
	_, err = f.ReadAt(b, at)
	require.NoError(e.t, err)
	b[0] ^= 0x40
	_, err = f.WriteAt(b, at)
	require.NoError(e.t, err)
}

// write puts a file in the test's directory.
func (e *env) write(name string, data []byte) string {
	e.t.Helper()
	p := filepath.Join(e.dir, name)
	require.NoError(e.t, os.WriteFile(p, data, 0o644))
	return p
}

// lockedBuffer collects a process's stderr.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) WriteString(s string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.b.WriteString(s)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
