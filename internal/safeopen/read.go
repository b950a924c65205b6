package safeopen

import (
	"fmt"
	"io"
	"math"
)

// minRead is the first buffer for a file whose size is unknown or zero (as procfs reports).
const minRead = 512

// readLimited reads r to its end and returns what it held, or a *TooLargeError naming path
// when r holds more than max bytes. size is what the file's metadata claims (negative when
// unknown); it sizes the first buffer but is not trusted. The buffer never grows beyond max+1
// bytes and r is only ever asked to fill the buffer, so at most max+1 bytes are read whatever
// the file does (lies about its size, grows while read, never ends), the slice returned has a
// capacity of at most max+1, and the whole read allocates less than three times that.
func readLimited(r io.Reader, path string, max, size int64) ([]byte, error) {
	if max < 0 {
		panic(fmt.Sprintf("safeopen: negative limit %d", max))
	}
	if size > max {
		return nil, &TooLargeError{Path: path, Limit: max, Size: size}
	}
	limit := max + 1 // one byte past the limit tells a file of max bytes from a longer one
	if max == math.MaxInt64 {
		limit = max
	}
	first := int64(minRead)
	if size > 0 {
		first = size + 1 // room to see EOF without growing
	}
	buf := make([]byte, 0, min(first, limit))
	for {
		if len(buf) == cap(buf) {
			if int64(len(buf)) == limit {
				break // the limit is reached: one byte more than max tells the caller enough
			}
			grown := make([]byte, len(buf), min(2*int64(cap(buf)), limit))
			copy(grown, buf)
			buf = grown
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	if int64(len(buf)) > max {
		return nil, &TooLargeError{Path: path, Limit: max, Size: -1}
	}
	return buf, nil
}
