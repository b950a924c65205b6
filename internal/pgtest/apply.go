package pgtest

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// applyFile runs the SQL script at path on conn as one simple-protocol query, which is how
// PostgreSQL accepts several statements at once (the extended protocol takes one). Without an
// explicit BEGIN/COMMIT in the file the server runs the whole script as one implicit
// transaction. The file must be plain SQL: psql meta-commands (\set, \i, ...) are psql's, not
// the server's. A server error is returned as path:line: error, the line being where the
// server says the error is, when it says so.
func applyFile(ctx context.Context, conn *pgx.Conn, path string) error {
	script, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	err = conn.PgConn().Exec(ctx, string(script)).Close()
	if err == nil {
		return nil
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Position > 0 {
		return fmt.Errorf("%s:%d: %w", path, lineAt(string(script), int(pgErr.Position)), err)
	}
	return fmt.Errorf("%s: %w", path, err)
}

// lineAt returns the 1-based line of the pos-th character (1-based, counted in characters as
// PostgreSQL counts error positions, not in bytes) of script.
func lineAt(script string, pos int) int {
	line, n := 1, 0
	for _, r := range script {
		n++
		if n >= pos {
			break
		}
		if r == '\n' {
			line++
		}
	}
	return line
}
