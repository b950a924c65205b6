package safeopen

import "os"

// OpenInput opens a file a user named (a manifest, a system metadata document) for reading.
// Unlike Open it follows symbolic links, since a user's input may well be one, but it never
// blocks: on unix the file is opened with O_NONBLOCK, its type read from the open handle, and
// O_NONBLOCK cleared before it is returned. It refuses with a *NotRegularError (matching
// ErrNotRegular) whatever is not a regular file once links are followed: a directory, a named
// pipe (FIFO) or a process substitution, a socket, a device such as /dev/zero or /dev/stdin on
// a terminal. Reading from a pipe is not supported by design: a reader that may be given
// gigabytes must know the input is a file. Other errors are the os package's.
func OpenInput(name string) (*os.File, error) { return openInput(name) }

// ReadInput returns the content of the file OpenInput(name) opens, or a *TooLargeError
// (matching ErrTooLarge, nothing returned) when it holds more than max bytes; at most max+1
// bytes are read whatever the file claims. ReadInput panics if max is negative.
func ReadInput(name string, max int64) ([]byte, error) {
	f, err := OpenInput(name)
	if err != nil {
		return nil, err
	}
	return readAndClose(f, name, max)
}
