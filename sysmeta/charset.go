package sysmeta

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"

	"golang.org/x/text/encoding/ianaindex"
)

// newDecoder returns an XML decoder of r that reads documents declaring a character set other
// than UTF-8 (ISO-8859-1, windows-1252, UTF-16, ...: any IANA name golang.org/x/text knows),
// converting them to UTF-8 as it goes. A character set it does not know is an error that
// names it (and matches ErrMalformed once decode classifies it).
func newDecoder(r io.Reader) *xml.Decoder {
	d := xml.NewDecoder(r)
	d.CharsetReader = charsetReader
	return d
}

func charsetReader(label string, input io.Reader) (io.Reader, error) {
	enc, err := ianaindex.IANA.Encoding(strings.TrimSpace(label))
	if err != nil || enc == nil {
		return nil, fmt.Errorf("the document declares the character set %q, which is not supported", label)
	}
	return enc.NewDecoder().Reader(input), nil
}
