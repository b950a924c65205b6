package metacat

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5/pgtype"
)

// localID is the name of a local document's file, as Metacat makes it from an identifier row:
// the docid, a dot, the revision (a NULL docid reads as "null" and a NULL rev as 0, as Java
// does).
func localID(docid pgtype.Text, rev pgtype.Int8) string {
	d := "null"
	if docid.Valid {
		d = docid.String
	}
	return d + "." + strconv.FormatInt(rev.Int64, 10)
}

// files finds the legacy files of local documents.
type files struct {
	documents, data string
}

// path returns the file of local id: under documents/ if it exists there, else under data/
// (whether or not it exists there: a missing file fails the object as not found), with its
// state (nil if it does not exist). A local id that is not a plain file name is refused, so
// that no docid can name a file elsewhere.
func (f files) path(id string) (string, fs.FileInfo, error) {
	if id == "." || id == ".." || strings.ContainsAny(id, "/\x00") || (filepath.Separator != '/' && strings.ContainsRune(id, filepath.Separator)) {
		return "", nil, fmt.Errorf("the local id %q (docid.rev) is not a file name", id)
	}
	p := filepath.Join(f.documents, id)
	if fi, err := os.Stat(p); err == nil {
		return p, fi, nil
	}
	p = filepath.Join(f.data, id)
	fi, _ := os.Stat(p)
	return p, fi, nil
}

// describe says where the file of a local document is, for the reports of documents Metacat
// would still convert itself.
func (f files) describe(id string) string {
	p, fi, err := f.path(id)
	if err != nil {
		return err.Error()
	}
	if fi == nil {
		return fmt.Sprintf("its file is in neither %s nor %s", f.documents, f.data)
	}
	return "its file is " + p
}
