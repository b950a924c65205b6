package faultfs

import (
	"errors"
	"os"
	"runtime"
	"sync"
	"weak"
)

// ErrNoRealPath is the Err of the *os.PathError that FS.RealPath returns
// when the base file system does not keep its files under OS paths.
var ErrNoRealPath = errors.New("faultfs: base file system has no OS paths")

// injectedErrs holds a weak pointer to every *os.PathError and
// *os.LinkError an FS has returned as an injected failure. Marking the
// pointer, rather than wrapping the cause in a type of ours, keeps the Err
// field exactly what the test supplied. An entry goes away once its error
// has been garbage collected.
var injectedErrs sync.Map

func remember[T any](p *T) {
	w := weak.Make(p)
	injectedErrs.Store(w, struct{}{})
	runtime.AddCleanup(p, func(w weak.Pointer[T]) { injectedErrs.Delete(w) }, w)
}

func remembered[T any](p *T) bool {
	if p == nil {
		return false
	}
	_, ok := injectedErrs.Load(weak.Make(p))
	return ok
}

func pathError(op, path string, cause error) error {
	e := &os.PathError{Op: op, Path: path, Err: cause}
	remember(e)
	return e
}

func linkError(op, oldname, newname string, cause error) error {
	e := &os.LinkError{Op: op, Old: oldname, New: newname, Err: cause}
	remember(e)
	return e
}

// IsInjected reports whether err, or any error it wraps (followed through
// Unwrap() error and Unwrap() []error, as errors.Is does), is an
// *os.PathError or *os.LinkError that an FS returned as an injected
// failure. Failures of the base file system are not injected, and neither is
// a copy of an injected error's value (as opposed to its pointer).
// IsInjected(nil) is false.
func IsInjected(err error) bool {
	for err != nil {
		switch e := err.(type) {
		case *os.PathError:
			if remembered(e) {
				return true
			}
		case *os.LinkError:
			if remembered(e) {
				return true
			}
		}
		switch u := err.(type) {
		case interface{ Unwrap() error }:
			err = u.Unwrap()
		case interface{ Unwrap() []error }:
			for _, e := range u.Unwrap() {
				if IsInjected(e) {
					return true
				}
			}
			return false
		default:
			return false
		}
	}
	return false
}
