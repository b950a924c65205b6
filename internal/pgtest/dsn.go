package pgtest

import (
	"net/url"
	"strings"
)

// withDatabase returns dsn with its database replaced by name, in the form dsn was written in:
// the path of a postgres:// or postgresql:// URL, or a dbname keyword appended to a key=value
// string (a later keyword overrides an earlier one). name must be a plain identifier.
func withDatabase(dsn, name string) string {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		if u, err := url.Parse(dsn); err == nil {
			u.Path, u.RawPath = "/"+name, ""
			return u.String()
		}
	}
	return strings.TrimSpace(dsn) + " dbname=" + name
}
