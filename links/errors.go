package links

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sort"
	"strings"
	"syscall"

	"github.com/hashstore-go/hashstore/hashstore"
)

// ErrCrossDevice is matched (errors.Is) by every *CrossDeviceError: the source file and the
// store are on different filesystems (or mounts), where a hard link cannot be made.
var ErrCrossDevice = errors.New("source and store are on different filesystems")

// ErrSourceChanged means the source file's size or modification time changed while it was
// being read, so what was hashed may not be what would be linked; nothing was placed. Run the
// conversion again once the file is no longer being written.
var ErrSourceChanged = errors.New("the source file changed while it was being read")

// CrossDeviceError reports a source that cannot be hard-linked into the store because the two
// are on different filesystems (EXDEV). It matches ErrCrossDevice and unwraps to the system's
// error.
type CrossDeviceError struct {
	Source string // the source file, as given
	Store  string // the store's root
	Err    error  // the underlying error (syscall.EXDEV inside an *os.LinkError)
}

// Error names both paths and the two ways out.
func (e *CrossDeviceError) Error() string {
	return fmt.Sprintf("cannot hard-link %s into the store at %s: they are on different filesystems; "+
		"move the source onto the store's filesystem, or use --on-cross-device copy (links.OnCrossDevice(links.CrossDeviceCopy)) to copy it in instead",
		e.Source, e.Store)
}

// Is makes a *CrossDeviceError match ErrCrossDevice.
func (e *CrossDeviceError) Is(target error) bool { return target == ErrCrossDevice }

// Unwrap returns the underlying error.
func (e *CrossDeviceError) Unwrap() error { return e.Err }

// classifyLinkError turns the error of Linker.Link into what Link reports: EXDEV becomes a
// *CrossDeviceError naming source and store; EPERM gets the likely reason (Linux's
// fs.protected_hardlinks), EACCES a hint; anything else is returned as it is.
func classifyLinkError(err error, source, store string) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, syscall.EXDEV):
		return &CrossDeviceError{Source: source, Store: store, Err: err}
	case errors.Is(err, syscall.EPERM):
		return fmt.Errorf("cannot hard-link the source: %w (on Linux, with fs.protected_hardlinks=1, the converting user must own the source file or be allowed to read and write it)", cause(err))
	case errors.Is(err, syscall.EACCES):
		return fmt.Errorf("cannot hard-link the source: %w (a directory on the way to the source or to the object cannot be searched or written)", cause(err))
	}
	return err
}

// classifySourceError turns an error from looking at or opening the source into one whose
// message does not repeat the path (Link's error names it once) and whose class the CLI can
// report: a missing source matches hashstore.ErrNotFound and fs.ErrNotExist.
func classifySourceError(err error) error {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return errMissingSource{}
	case errors.Is(err, fs.ErrPermission):
		return fmt.Errorf("cannot read the source file: %w", cause(err))
	}
	return err
}

// errMissingSource is the error for a source path that names nothing.
type errMissingSource struct{}

func (errMissingSource) Error() string { return "no such source file" }

// Is matches hashstore.ErrNotFound and fs.ErrNotExist.
func (errMissingSource) Is(target error) bool {
	return target == hashstore.ErrNotFound || target == fs.ErrNotExist
}

// cause strips the *fs.PathError or *os.LinkError around a system error, whose path the
// caller already reports.
func cause(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		return le.Err
	}
	return err
}

// notRegular is the error for a source that exists but is not a regular file.
func notRegular(mode fs.FileMode) error {
	kind := "not a regular file"
	switch {
	case mode.IsDir():
		kind = "a directory"
	case mode&fs.ModeNamedPipe != 0:
		kind = "a named pipe (FIFO)"
	case mode&fs.ModeSocket != 0:
		kind = "a socket"
	case mode&fs.ModeCharDevice != 0:
		kind = "a character device"
	case mode&fs.ModeDevice != 0:
		kind = "a device"
	case mode&fs.ModeSymlink != 0:
		kind = "a symbolic link"
	}
	return fmt.Errorf("%w: the source is %s, not a regular file", hashstore.ErrInvalidArgument, kind)
}

// SourceDigestsError is a size mismatch together with what the source actually holds: its
// size and every digest the call computes, so that an operator can correct the expectation
// (usually the system metadata) in one go. Checksum mismatches carry the digests already
// (*hashstore.ChecksumMismatchError.HexDigests). It unwraps to the *hashstore.SizeMismatchError
// and so matches hashstore.ErrSizeMismatch.
type SourceDigestsError struct {
	Err        error             // the *hashstore.SizeMismatchError
	Size       int64             // the source's size in bytes
	HexDigests map[string]string // by DataONE algorithm name
}

// Error is the mismatch followed by the source's size (when the mismatch does not say it)
// and digests.
func (e *SourceDigestsError) Error() string {
	var b strings.Builder
	b.WriteString(e.Err.Error())
	var sme *hashstore.SizeMismatchError
	if !errors.As(e.Err, &sme) || sme.AtLeast || sme.Actual != e.Size {
		fmt.Fprintf(&b, "; the source has %d bytes", e.Size)
	}
	b.WriteString(" (computed:")
	names := make([]string, 0, len(e.HexDigests))
	for k := range e.HexDigests {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		fmt.Fprintf(&b, " %s=%s", k, e.HexDigests[k])
	}
	b.WriteString(")")
	return b.String()
}

// Unwrap returns the size mismatch.
func (e *SourceDigestsError) Unwrap() error { return e.Err }
