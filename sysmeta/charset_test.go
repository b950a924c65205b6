package sysmeta

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// latin1Doc is a v2 document in ISO-8859-1: its identifier holds é as the single byte 0xE9.
const latin1Doc = "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n" +
	"<ns3:systemMetadata xmlns:ns3=\"http://ns.dataone.org/service/types/v2.0\">" +
	"<identifier>caf\xe9.1</identifier><formatId>text/plain</formatId><size>3</size>" +
	"<checksum algorithm=\"MD5\">900150983cd24fb0d6963f7d28e17f72</checksum>" +
	"<rightsHolder>r</rightsHolder></ns3:systemMetadata>"

// TestLegacyCharsetsAreDecoded: a document declaring ISO-8859-1 is read with its characters
// converted, by both decoders, instead of failing with encoding/xml's "CharsetReader is nil".
func TestLegacyCharsetsAreDecoded(t *testing.T) {
	sm, err := Parse([]byte(latin1Doc))
	require.NoError(t, err)
	assert.Equal(t, "café.1", sm.Identifier)
	doc, err := DecodeDocument([]byte(latin1Doc))
	require.NoError(t, err)
	assert.Equal(t, "café.1", doc.Identifier)
}

// TestUnknownCharsetIsNamed: a character set nobody knows is refused with its name.
func TestUnknownCharsetIsNamed(t *testing.T) {
	doc := `<?xml version="1.0" encoding="X-NO-SUCH-CHARSET"?>` + latin1Doc[len("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>"):]
	_, err := Parse([]byte(doc))
	require.ErrorIs(t, err, ErrMalformed)
	assert.Contains(t, err.Error(), `"X-NO-SUCH-CHARSET"`)
	assert.NotContains(t, err.Error(), "CharsetReader is nil")
}
