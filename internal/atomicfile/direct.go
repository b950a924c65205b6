package atomicfile

import (
	"errors"
	"os"
	"unsafe"

	"github.com/spf13/afero"
)

// DirectAlign is the alignment direct (page-cache-bypassing) writes need: of the buffer's
// address, of its length and of the file offset. 4096 covers devices with 512-byte and
// 4 KiB logical blocks; a device that wants more refuses the write, and the temp file falls
// back to ordinary writes (see Temp.Write).
const DirectAlign = 4096

// directState is where a temp file stands with direct writes.
type directState uint8

const (
	directUndecided directState = iota // not yet past Writer.DirectAfter
	directOn                           // O_DIRECT is set on the descriptor
	directOff                          // ordinary writes until the end (unsupported, or turned off)
)

// directWrite reports whether p, written at offset off, meets DirectAlign.
func directWrite(p []byte, off int64) bool {
	return len(p) > 0 && len(p)%DirectAlign == 0 && off%DirectAlign == 0 &&
		uintptr(unsafe.Pointer(unsafe.SliceData(p)))%DirectAlign == 0
}

// OSFile returns the *os.File behind an afero.File, looking through afero's BasePathFs and
// through wrappers that offer Unwrap (internal/faultfs), and false when there is none
// (afero's memory filesystem).
func OSFile(f afero.File) (*os.File, bool) {
	for range 8 {
		switch v := f.(type) {
		case *os.File:
			return v, true
		case *afero.BasePathFile:
			f = v.File
		case interface{ Unwrap() afero.File }:
			f = v.Unwrap()
		default:
			return nil, false
		}
	}
	return nil, false
}

// errNoDirect is what setDirect returns where direct writes are not offered.
var errNoDirect = errors.New("direct writes not supported here")
