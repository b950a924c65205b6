package sysmeta

// xmlWriter appends XML to b in the layout of the JAXB reference
// implementation's indenting UTF-8 output (version 2.3.x), the writer
// Metacat's marshaller uses: every start tag, and every end tag of an
// element with children, begins a new line indented by four spaces per
// level; text-only elements stay on one line; elements with neither
// children nor text are self-closed. The line break comes before each
// tag, so the document's first tag follows the XML declaration on a new
// line and the caller adds the final LF.
type xmlWriter struct {
	b []byte
}

// attr is one attribute, written in the order given.
type attr struct {
	name, value string
}

// start writes the start tag of an element that has child elements.
func (w *xmlWriter) start(depth int, name string, attrs ...attr) {
	w.openTag(depth, name, attrs)
	w.b = append(w.b, '>')
}

// end writes the end tag of an element that has child elements.
func (w *xmlWriter) end(depth int, name string) {
	w.newline(depth)
	w.b = append(w.b, "</"...)
	w.b = append(w.b, name...)
	w.b = append(w.b, '>')
}

// empty writes a self-closed element: one with no children and no text
// (Java null content).
func (w *xmlWriter) empty(depth int, name string, attrs ...attr) {
	w.openTag(depth, name, attrs)
	w.b = append(w.b, "/>"...)
}

// leaf writes an element whose content is text; empty text still gives a
// start and an end tag, as the marshaller writes an empty Java string.
func (w *xmlWriter) leaf(depth int, name, text string, attrs ...attr) {
	w.openTag(depth, name, attrs)
	w.b = append(w.b, '>')
	w.b = appendEscaped(w.b, text, false)
	w.b = append(w.b, "</"...)
	w.b = append(w.b, name...)
	w.b = append(w.b, '>')
}

func (w *xmlWriter) openTag(depth int, name string, attrs []attr) {
	w.newline(depth)
	w.b = append(w.b, '<')
	w.b = append(w.b, name...)
	for _, a := range attrs {
		w.b = append(w.b, ' ')
		w.b = append(w.b, a.name...)
		w.b = append(w.b, `="`...)
		w.b = appendEscaped(w.b, a.value, true)
		w.b = append(w.b, '"')
	}
}

func (w *xmlWriter) newline(depth int) {
	w.b = append(w.b, '\n')
	for range depth {
		w.b = append(w.b, "    "...)
	}
}

// appendEscaped appends s escaped the way the JAXB reference
// implementation escapes for UTF-8 output (its minimal escape handler):
// &, < and > become entity references and CR becomes &#13; everywhere; in
// attribute values " becomes &quot; and LF becomes &#10; as well. Tab,
// apostrophe and, in text, LF and " are written as they are, and so is
// every non-ASCII character (as UTF-8). s must already have passed
// checkChars. Working on bytes is safe because no byte of a multi-byte
// UTF-8 sequence is ASCII.
func appendEscaped(b []byte, s string, attribute bool) []byte {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '&':
			b = append(b, "&amp;"...)
		case c == '<':
			b = append(b, "&lt;"...)
		case c == '>':
			b = append(b, "&gt;"...)
		case c == '\r':
			b = append(b, "&#13;"...)
		case c == '\n' && attribute:
			b = append(b, "&#10;"...)
		case c == '"' && attribute:
			b = append(b, "&quot;"...)
		default:
			b = append(b, c)
		}
	}
	return b
}
