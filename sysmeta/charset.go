package sysmeta

import (
	"bufio"
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"strings"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/ianaindex"
	"golang.org/x/text/encoding/unicode"
)

// newDecoder returns an XML decoder of r that reads documents declaring a character set other
// than UTF-8 (ISO-8859-1, windows-1252, ...: any IANA name golang.org/x/text knows), converting
// them to UTF-8 as it goes. A character set it does not know is an error that names it (and
// matches ErrMalformed once decode classifies it).
//
// A document in UTF-16 cannot be read that way: its declaration is itself in two bytes a
// character, which encoding/xml cannot read to learn the character set. It is recognised
// before parsing, by its first bytes (utf16Encoding), and converted whole.
func newDecoder(r io.Reader) *xml.Decoder {
	br := bufio.NewReader(r)
	var in io.Reader = br
	if head, _ := br.Peek(4); len(head) == 4 {
		if enc, ok := utf16Encoding(head); ok {
			in = enc.NewDecoder().Reader(br)
		}
	}
	d := xml.NewDecoder(in)
	d.CharsetReader = charsetReader
	return d
}

func charsetReader(label string, input io.Reader) (io.Reader, error) {
	if isUTF16(label) {
		// What the decoder reads was converted from UTF-16 before parsing (newDecoder,
		// fromUTF16): what follows the declaration is UTF-8 already.
		return input, nil
	}
	enc, err := ianaindex.IANA.Encoding(strings.TrimSpace(label))
	if err != nil || enc == nil {
		return nil, fmt.Errorf("the document declares the character set %q, which is not supported", label)
	}
	return enc.NewDecoder().Reader(input), nil
}

// isUTF16 reports whether a declared character set is one of UTF-16's names.
func isUTF16(label string) bool {
	switch strings.ToLower(strings.TrimSpace(label)) {
	case "utf-16", "utf-16le", "utf-16be", "utf16":
		return true
	}
	return false
}

// utf16Encoding recognises a document in UTF-16 by its first four bytes, as XML 1.0's
// appendix F describes: a byte order mark, or "<?" written with two bytes a character.
func utf16Encoding(head []byte) (encoding.Encoding, bool) {
	switch {
	case bytes.HasPrefix(head, []byte{0xFE, 0xFF}):
		return unicode.UTF16(unicode.BigEndian, unicode.ExpectBOM), true
	case bytes.HasPrefix(head, []byte{0xFF, 0xFE}) && !bytes.Equal(head, []byte{0xFF, 0xFE, 0, 0}): // not UTF-32
		return unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM), true
	case bytes.Equal(head, []byte{0, '<', 0, '?'}):
		return unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM), true
	case bytes.Equal(head, []byte{'<', 0, '?', 0}):
		return unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM), true
	}
	return nil, false
}

// fromUTF16 returns data converted to UTF-8 if it is a document in UTF-16 (utf16Encoding),
// and data itself otherwise (or if it does not convert: the parser then says why).
func fromUTF16(data []byte) []byte {
	if len(data) < 4 {
		return data
	}
	enc, ok := utf16Encoding(data[:4])
	if !ok {
		return data
	}
	converted, err := enc.NewDecoder().Bytes(data)
	if err != nil {
		return data
	}
	return converted
}
