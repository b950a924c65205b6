// Package ident holds the identifier whitespace rule shared by every package that reads or
// checks pids, cids and format ids.
package ident

import (
	"strings"
	"unicode"
)

// IsSpace reports whether r is whitespace for identifiers: Go's unicode.IsSpace plus
// U+001C..U+001F. Together they equal Python's str.isspace exactly, the stricter of the two
// reference rules and a superset of Java's Character.isWhitespace (docs/FORMAT.md 7).
func IsSpace(r rune) bool { return unicode.IsSpace(r) || (r >= 0x1C && r <= 0x1F) }

// IndexSpace returns the byte index of the first whitespace rune in s, or -1.
func IndexSpace(s string) int { return strings.IndexFunc(s, IsSpace) }
