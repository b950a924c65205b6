package safeopen

import (
	"os"

	"github.com/spf13/afero"
)

// OSFile returns the *os.File behind f, looking through afero's BasePathFile and through
// wrappers that offer Unwrap() afero.File (internal/faultfs), and false when there is none (a
// file of afero's memory filesystem).
func OSFile(f afero.File) (*os.File, bool) {
	for range 8 { // a bound, in case a wrapper ever returns itself
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
