package e2e

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hashstore-go/hashstore/hashstore/hashstoretest"
	"github.com/hashstore-go/hashstore/server/servertest"
)

// curlGet downloads u to a file with curl and returns curl's exit code, the HTTP status and
// the file's path.
func curlGet(t *testing.T, e *env, u, out string, extra ...string) (int, string, string) {
	t.Helper()
	p := filepath.Join(e.dir, out)
	args := append([]string{"-sS", "-o", p, "-w", "%{http_code}"}, extra...)
	code, output := run(t, 2*time.Minute, "curl", append(args, u)...)
	status := output
	if i := strings.LastIndexByte(output, '\n'); i >= 0 {
		status = output[i+1:]
	}
	return code, status, p
}

// TestCurl: create through DataONE's multipart POST in several part orders (curl -F keeps
// the order given), then read every pid back through its escaped URL, describe it, ask a
// range, store natively with curl -T; every download's SHA-256 is its cid.
func TestCurl(t *testing.T) {
	curl := tool(t, "curl", "curl")
	e := newEnv(t)
	s := e.serve()
	auth := "Authorization: Bearer " + token
	vectors := hashstoretest.Vectors()
	orders := [][]string{{"pid", "object", "sysmeta"}, {"sysmeta", "pid", "object"}, {"object", "sysmeta"}}
	type created struct{ pid, cid string }
	var ok []created
	for i, v := range vectors {
		data := e.write(fmt.Sprintf("data%d", i), v.Data())
		sm := e.write(fmt.Sprintf("sysmeta%d", i), v.Sysmeta())
		args := []string{"-sS", "-o", filepath.Join(e.dir, "resp"), "-w", "%{http_code}", "-H", auth}
		for _, part := range orders[i] {
			switch part {
			case "pid":
				args = append(args, "-F", "pid="+v.PID)
			case "object":
				args = append(args, "-F", "object=@"+data)
			case "sysmeta":
				args = append(args, "-F", "sysmeta=@"+sm)
			}
		}
		code, status := run(t, time.Minute, curl, append(args, s.url+"/mn/v2/object")...)
		require.Zero(t, code, status)
		resp, _ := os.ReadFile(filepath.Join(e.dir, "resp"))
		if v.PID == "urn:uuid:1b35d0a5-b17a-423b-a2ed-de2b18dc367a" {
			// Its reference system metadata declares 18934 bytes; the data has 18699.
			assert.Equal(t, "400", status, "%s", resp)
			assert.Contains(t, string(resp), `detailCode="1180"`)
			e.hs("store", "--pid", v.PID, data) // stored without the wrong document
			continue
		}
		require.Equal(t, "200", status, "%s: %s", v.PID, resp)
		assert.Contains(t, string(resp), ">"+v.PID+"</d1:identifier>")
		ok = append(ok, created{v.PID, v.CID})
	}
	// awkward pids, created with curl too
	for i, pid := range []string{"a+b", "http://example.com/data/mydata?row=24", "ภาษาไทย.1", "semi;colon:@$!()',~*&="} {
		data := servertest.PseudoRandom(byte(i), 1000+i)
		f := e.write(fmt.Sprintf("awk%d", i), data)
		sm := e.write(fmt.Sprintf("awk%d.xml", i), servertest.Sysmeta(pid, data, true))
		// curl -F treats ; and , in values specially: send the pid part from a file.
		pf := e.write(fmt.Sprintf("awk%d.pid", i), []byte(pid))
		code, status := run(t, time.Minute, curl, "-sS", "-o", "/dev/null", "-w", "%{http_code}", "-H", auth,
			"-F", "pid=<"+pf, "-F", "object=@"+f, "-F", "sysmeta=@"+sm, s.url+"/mn/v2/object")
		require.Zero(t, code, status)
		require.Equal(t, "200", status, pid)
		ok = append(ok, created{pid, sha256Hex(data)})
	}
	for i, c := range ok {
		code, status, p := curlGet(t, e, s.url+"/mn/v2/object/"+url.PathEscape(c.pid), fmt.Sprintf("get%d", i))
		require.Zero(t, code)
		require.Equal(t, "200", status, c.pid)
		assert.Equal(t, c.cid, sha256File(t, p), "%s: the download's SHA-256 is its cid", c.pid)
	}
	// the doi with a raw slash, as careless clients send it
	code, status, p := curlGet(t, e, s.url+"/mn/v2/object/doi:10.18739/A2901ZH2M", "raw")
	require.Zero(t, code)
	assert.Equal(t, "200", status)
	byPID := map[string]hashstoretest.Vector{}
	for _, v := range vectors {
		byPID[v.PID] = v
	}
	assert.Equal(t, byPID["doi:10.18739/A2901ZH2M"].CID, sha256File(t, p))
	// the object without public system metadata: refused, except with the token
	urn := byPID["urn:uuid:1b35d0a5-b17a-423b-a2ed-de2b18dc367a"]
	_, status, _ = curlGet(t, e, s.url+"/mn/v2/object/"+url.PathEscape(urn.PID), "urn")
	assert.Equal(t, "401", status)
	_, status, p = curlGet(t, e, s.url+"/mn/v2/object/"+url.PathEscape(urn.PID), "urn", "-H", auth)
	assert.Equal(t, "200", status)
	assert.Equal(t, urn.CID, sha256File(t, p))

	// describe
	code, out := run(t, time.Minute, curl, "-sSI", s.url+"/mn/v2/object/jtao.1700.1")
	require.Zero(t, code)
	for _, h := range []string{"HTTP/1.1 200 OK", "DataONE-Checksum: MD5,f4ea2d07db950873462a064937197b0f",
		"DataONE-SerialVersion: 0", "Content-Length: 8724", "Last-Modified: Sat, 02 Nov 2019 00:28:25 GMT"} {
		assert.Contains(t, out, h+"\r\n")
	}
	code, out = run(t, time.Minute, curl, "-sSI", s.url+"/mn/v2/object/no.such")
	require.Zero(t, code)
	assert.Contains(t, out, "DataONE-Exception-DetailCode: 1380\r\n")

	// a range
	_, status, p = curlGet(t, e, s.url+"/mn/v2/object/jtao.1700.1", "range", "-r", "100-199")
	assert.Equal(t, "206", status)
	got, _ := os.ReadFile(p)
	assert.Equal(t, byPID["jtao.1700.1"].Data()[100:200], got)

	// native store with curl -T, with the expected digest
	big := servertest.PseudoRandom(9, 5<<20)
	bf := e.write("big", big)
	code, out = run(t, time.Minute, curl, "-sS", "-T", bf, "-H", auth, "-H", "X-HashStore-Checksum: SHA-256="+sha256Hex(big),
		"-w", "\n%{http_code}", s.url+"/hs/v1/object/big.1")
	require.Zero(t, code)
	assert.True(t, strings.HasSuffix(out, "\n201"), out)
	assert.Contains(t, out, `"cid":"`+sha256Hex(big)+`"`)
	code, out = run(t, time.Minute, curl, "-sS", "-T", bf, "-H", auth, "-H", "X-HashStore-Checksum: MD5=00000000000000000000000000000000",
		"-w", "\n%{http_code}", s.url+"/hs/v1/object/big.2")
	require.Zero(t, code)
	assert.True(t, strings.HasSuffix(out, "\n400"), out)
	assert.Contains(t, out, `"kind":"checksum_mismatch"`)
}

// TestCorruptObjectThroughCurlAndWget: an object damaged on disk never arrives whole. curl
// gets a short body (exit 18), then a 500; wget, which resumes cut downloads with a Range,
// is refused and never completes the file.
func TestCorruptObjectThroughCurlAndWget(t *testing.T) {
	curl := tool(t, "curl", "curl")
	wget := tool(t, "wget", "wget")
	e := newEnv(t)
	s := e.serve()
	const size = 4 << 20
	for i, client := range []string{"curl", "wget"} {
		pid := "corrupt." + client
		data := servertest.PseudoRandom(byte(40+i), size)
		f := e.write(pid, data)
		sm := e.write(pid+".xml", servertest.Sysmeta(pid, data, true))
		e.hs("store", "--pid", pid, f)
		e.hs("metadata", "put", "--pid", pid, sm)
		cid := sha256Hex(data)
		e.corrupt(cid, size-10)
		u := s.url + "/mn/v2/object/" + pid
		out := filepath.Join(e.dir, "out."+client)
		if client == "curl" {
			code, msg := run(t, time.Minute, curl, "-sS", "-o", out, u)
			assert.Equal(t, 18, code, "curl reports a partial transfer: %s", msg)
			fi, err := os.Stat(out)
			require.NoError(t, err)
			assert.Less(t, fi.Size(), int64(size), "the body is short")
			code, _ = run(t, time.Minute, curl, "-fsS", "-o", out+".2", u)
			assert.Equal(t, 22, code, "then the object is refused (HTTP 500)")
		} else {
			code, msg := run(t, 2*time.Minute, wget, "-t", "3", "--waitretry=0", "-O", out, u)
			assert.NotZero(t, code, "%s", msg)
			fi, err := os.Stat(out)
			if err == nil {
				assert.Less(t, fi.Size(), int64(size), "wget never completes the file: %s", msg)
			}
		}
	}
	assert.Contains(t, s.stderr.String(), "object does not match its cid")
	// good objects come through wget whole
	v := hashstoretest.Vectors()[0]
	e.hs("store", "--pid", v.PID, e.write("v0", v.Data()))
	e.hs("metadata", "put", "--pid", v.PID, e.write("v0.xml", v.Sysmeta()))
	out := filepath.Join(e.dir, "good")
	code, msg := run(t, time.Minute, wget, "-q", "-O", out, s.url+"/mn/v2/object/"+v.PID)
	require.Zero(t, code, msg)
	assert.Equal(t, v.CID, sha256File(t, out))
}

// TestAria2ParallelRanges: aria2c downloads in parallel ranges; the server verifies the whole
// object once and then serves the ranges, and the assembled file's SHA-256 is the cid. A
// corrupt object fails, and aria2c never assembles its bytes.
func TestAria2ParallelRanges(t *testing.T) {
	aria := tool(t, "aria2c", "aria2")
	e := newEnv(t)
	s := e.serve()
	const size = 24 << 20
	for i, kind := range []string{"good", "corrupt"} {
		pid := "aria." + kind
		data := servertest.PseudoRandom(byte(60+i), size)
		e.hs("store", "--pid", pid, e.write(pid, data))
		e.hs("metadata", "put", "--pid", pid, e.write(pid+".xml", servertest.Sysmeta(pid, data, true)))
		cid := sha256Hex(data)
		args := []string{"-x4", "-s4", "-k1M", "--file-allocation=none", "--max-tries=2", "--retry-wait=0",
			"--auto-file-renaming=false", "-d", e.dir, "-o", "out." + kind}
		if kind == "good" {
			args = append(args, "--checksum=sha-256="+cid)
		} else {
			e.corrupt(cid, size/2)
		}
		code, msg := run(t, 2*time.Minute, aria, append(args, s.url+"/mn/v2/object/"+pid)...)
		out := filepath.Join(e.dir, "out."+kind)
		if kind == "good" {
			require.Zero(t, code, msg)
			assert.Equal(t, cid, sha256File(t, out))
			continue
		}
		assert.NotZero(t, code, "aria2c fails on the corrupt object: %s", msg)
		bad, _ := os.ReadFile(e.objectFile(cid))
		if got, err := os.ReadFile(out); err == nil {
			assert.NotEqual(t, sha256Hex(bad), sha256Hex(got), "aria2c did not assemble the corrupt bytes")
		}
	}
}
