//go:build !unix

package safeopen

import "os"

func openInput(name string) (*os.File, error) {
	fi, err := os.Stat(name)
	if err != nil {
		return nil, err
	}
	if err := NotRegular(name, fi.Mode(), nil); err != nil {
		return nil, err
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	if fi, err = f.Stat(); err == nil {
		err = NotRegular(name, fi.Mode(), nil)
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}
