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

// TestEveryIDAccountedFor checks the suite's claim: each CONFORMANCE.md id (C001-C292) is a
// registered case, or is listed in UNCOVERED.md, or belongs to section 15, whose cases live
// beside the hard-link converter. An id both registered and listed as uncovered is an error
// too (unless the listing is under "Partly covered").
func TestEveryIDAccountedFor(t *testing.T) {
	registered := map[int]bool{}
	for _, c := range registry {
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
			t.Errorf("%s is registered and also listed in UNCOVERED.md", id)
		case !registered[i] && !uncovered[i] && !converter:
			t.Errorf("%s is neither registered nor listed in UNCOVERED.md", id)
		}
	}
	assert.Greater(t, len(registered), 200, "the suite registers most ids")
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
