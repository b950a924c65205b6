package hashstoretest

import (
	_ "embed"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

//go:embed UNCOVERED.md
var uncoveredDoc string

// TestEveryIDAccountedFor checks the suite's claim: each docs/CONFORMANCE.md id (C001-C292) is
// pinned by a case of the table, or is listed in UNCOVERED.md, or belongs to section 15, whose
// cases live beside the hard-link code and the converter. An id both in the table and listed as
// uncovered is an error too (unless the listing is under "Partly covered").
func TestEveryIDAccountedFor(t *testing.T) {
	registered := map[int]bool{}
	for _, c := range cases {
		lo, hi := idRange(t, c.id)
		for i := lo; i <= hi; i++ {
			registered[i] = true
		}
	}
	table := uncoveredDoc
	if i := strings.Index(table, "## Partly covered"); i >= 0 {
		table = table[:i]
	}
	uncovered := map[int]bool{}
	for _, m := range regexp.MustCompile(`(?m)^\| C(\d{3}) \|`).FindAllStringSubmatch(table, -1) {
		n, _ := strconv.Atoi(m[1])
		uncovered[n] = true
	}
	for i := 1; i <= 292; i++ {
		id := fmt.Sprintf("C%03d", i)
		converter := i >= 248 && i <= 261
		switch {
		case registered[i] && uncovered[i]:
			t.Errorf("%s is in the case table and also listed in UNCOVERED.md", id)
		case !registered[i] && !uncovered[i] && !converter:
			t.Errorf("%s is neither in the case table nor listed in UNCOVERED.md", id)
		}
	}
	assert.Greater(t, len(registered), 200, "the suite pins most ids")
}

// TestCasesInIDOrder checks the case table: rows sorted by the first id of their range (so Run
// runs them in id order), every function set, and every subtest name "<id>_<name>" unique (a
// repeated name would make the checklist's "pinned by" column ambiguous).
func TestCasesInIDOrder(t *testing.T) {
	seen := map[string]bool{}
	last := 0
	for _, c := range cases {
		lo, _ := idRange(t, c.id)
		assert.GreaterOrEqual(t, lo, last, "%s_%s is out of id order", c.id, c.name)
		last = lo
		assert.NotNil(t, c.fn, "%s_%s has no function", c.id, c.name)
		name := c.id + "_" + c.name
		assert.False(t, seen[name], "%s appears twice", name)
		seen[name] = true
	}
}

func idRange(t *testing.T, id string) (int, int) {
	parts := strings.SplitN(id, "-", 2)
	lo, err := strconv.Atoi(strings.TrimPrefix(parts[0], "C"))
	if err != nil {
		t.Fatalf("bad case id %q", id)
	}
	hi := lo
	if len(parts) == 2 {
		if hi, err = strconv.Atoi(strings.TrimPrefix(parts[1], "C")); err != nil {
			t.Fatalf("bad case id %q", id)
		}
	}
	return lo, hi
}
