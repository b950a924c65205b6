package sysmeta

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/text/encoding/unicode"
)

// utf16Doc is latin1Doc's document in UTF-8 (é as two bytes), declaring UTF-16, ready to be
// encoded in it.
var utf16Doc = strings.Replace(strings.Replace(latin1Doc, "ISO-8859-1", "UTF-16", 1), "caf\xe9", "café", 1)

// TestUTF16DocumentsAreDecoded: a document in UTF-16, in either byte order, with or without a
// byte order mark, is read by both decoders. encoding/xml alone cannot read one: the
// declaration that names the character set is itself in UTF-16 ("invalid UTF-8").
func TestUTF16DocumentsAreDecoded(t *testing.T) {
	for _, c := range []struct {
		name  string
		order unicode.Endianness
		bom   unicode.BOMPolicy
	}{
		{"LE with BOM", unicode.LittleEndian, unicode.UseBOM},
		{"BE with BOM", unicode.BigEndian, unicode.UseBOM},
		{"LE without BOM", unicode.LittleEndian, unicode.IgnoreBOM},
		{"BE without BOM", unicode.BigEndian, unicode.IgnoreBOM},
	} {
		t.Run(c.name, func(t *testing.T) {
			data, err := unicode.UTF16(c.order, c.bom).NewEncoder().Bytes([]byte(utf16Doc))
			require.NoError(t, err)
			sm, err := Parse(data)
			require.NoError(t, err)
			assert.Equal(t, "café.1", sm.Identifier)
			sm, err = Decode(bytes.NewReader(data))
			require.NoError(t, err)
			assert.Equal(t, "café.1", sm.Identifier)
			doc, err := DecodeDocument(data)
			require.NoError(t, err)
			assert.Equal(t, "café.1", doc.Identifier)
		})
	}
}

// TestUTF16NamesInUTF8: a UTF-8 document whose declaration names UTF-16 (what converting a
// UTF-16 document leaves; or a wrong declaration) is read as the UTF-8 it is.
func TestUTF16NamesInUTF8(t *testing.T) {
	for _, name := range []string{"UTF-16", "utf-16le", "UTF-16BE"} {
		sm, err := Parse([]byte(strings.Replace(utf16Doc, "UTF-16", name, 1)))
		require.NoError(t, err, name)
		assert.Equal(t, "café.1", sm.Identifier)
	}
}
