// Package refs reads and writes the two kinds of HashStore reference file (docs/FORMAT.md 4.2, 4.3).
//
// A pid refs file holds exactly one cid and no newline. A cid refs file holds the pids that
// reference its cid, one per line. Writers here always end every line with "\n"; readers
// tolerate what the Java and Python implementations leave behind: a missing final newline
// (Java's first write), CRLF, blank lines and whitespace around a pid.
//
// Everything in this package is pure: it turns bytes into values and back. Callers do the I/O
// (atomically, through a temp file and a rename).
package refs

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/hashstore-go/hashstore/internal/ident"
)

// ErrMalformed is returned for a pid refs file that cannot hold a cid.
var ErrMalformed = errors.New("malformed refs file")

// FormatPID returns the content of a pid refs file for cid: the cid, with no newline, which is
// what both reference implementations write and compare byte for byte.
func FormatPID(cid string) []byte { return []byte(cid) }

// ParsePID returns the cid in a pid refs file. Surrounding whitespace (a trailing newline
// written by some other tool) is tolerated; an empty file or one with several words is not.
func ParsePID(data []byte) (string, error) {
	cid := strings.TrimFunc(string(data), ident.IsSpace)
	if cid == "" {
		return "", fmt.Errorf("%w: pid refs file is empty", ErrMalformed)
	}
	if strings.IndexFunc(cid, ident.IsSpace) >= 0 {
		return "", fmt.Errorf("%w: pid refs file holds more than one value", ErrMalformed)
	}
	return cid, nil
}

// PIDs returns the pids listed in a cid refs file, in file order, without blank lines or
// surrounding whitespace. Duplicates are kept as they appear.
func PIDs(data []byte) []string {
	var out []string
	forEachLine(data, func(pid string) bool {
		out = append(out, pid)
		return true
	})
	return out
}

// Contains reports whether pid is listed in a cid refs file.
func Contains(data []byte, pid string) bool {
	found := false
	forEachLine(data, func(p string) bool {
		found = p == pid
		return !found
	})
	return found
}

// Add returns the cid refs content with pid appended, and true; or data unchanged and false
// if pid is already listed. Existing bytes are kept as they are, but a missing final newline
// is added first, so two pids are never glued onto one line (the Java-then-Python corruption
// of docs/FORMAT.md 4.3).
func Add(data []byte, pid string) ([]byte, bool) {
	if Contains(data, pid) {
		return data, false
	}
	out := make([]byte, 0, len(data)+len(pid)+2)
	out = append(out, data...)
	if len(out) > 0 && out[len(out)-1] != '\n' {
		out = append(out, '\n')
	}
	out = append(out, pid...)
	out = append(out, '\n')
	return out, true
}

// Remove returns the cid refs content without any line equal to pid (after trimming), as
// "pid\n" lines, and true; or data unchanged and false if pid was not listed. Removing the
// last pid gives empty content; deciding to delete the file is the caller's job.
func Remove(data []byte, pid string) ([]byte, bool) {
	if !Contains(data, pid) {
		return data, false
	}
	var kept []string
	forEachLine(data, func(p string) bool {
		if p != pid {
			kept = append(kept, p)
		}
		return true
	})
	return Format(kept), true
}

// Format returns cid refs content listing pids, each followed by "\n".
func Format(pids []string) []byte {
	var b bytes.Buffer
	for _, p := range pids {
		b.WriteString(p)
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// forEachLine calls fn with every non-blank line of data, trimmed, until fn returns false.
// Lines end at "\n" or "\r" (so CRLF and lone CR both work, as in Java's reader).
func forEachLine(data []byte, fn func(string) bool) {
	for len(data) > 0 {
		i := bytes.IndexAny(data, "\r\n")
		var line []byte
		if i < 0 {
			line, data = data, nil
		} else {
			line, data = data[:i], data[i+1:]
		}
		line = bytes.TrimFunc(line, ident.IsSpace)
		if len(line) == 0 {
			continue
		}
		if !fn(string(line)) {
			return
		}
	}
}
