package metacat

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// indexOnly holds the planner to index scans: a plan that reads xml_access through its index
// on guid returns each pid's rows in the index's order, which is the order Metacat's query
// (WHERE guid = ?) gets from the same index.
var indexOnly = []string{"enable_seqscan", "enable_bitmapscan", "enable_sort", "enable_hashjoin"}

// accessCursor opens the cursor of the xml_access rows: in index order (accessIndexQuery)
// when the planner reads xml_access by an index scan without sorting, in physical order
// otherwise (no index on guid: Metacat's query scans the table too); indexOrder says which.
func accessCursor(ctx context.Context, tx pgx.Tx, n int, rows *int64) (c *cursor, indexOrder bool, err error) {
	for _, g := range indexOnly {
		if _, err := tx.Exec(ctx, "SET LOCAL "+g+" = off"); err != nil {
			return nil, false, err
		}
	}
	query := accessPhysicalQuery
	var plan []byte
	if err := tx.QueryRow(ctx, "EXPLAIN (FORMAT JSON) "+accessIndexQuery).Scan(&plan); err != nil {
		return nil, false, fmt.Errorf("planning the xml_access rows: %w", err)
	}
	if indexOrder = indexOrdered(plan); indexOrder {
		query = accessIndexQuery
	}
	c, err = declare(ctx, tx, "hs_xml_access", query, n, rows)
	for _, g := range indexOnly {
		if _, rerr := tx.Exec(ctx, "SET LOCAL "+g+" TO DEFAULT"); rerr != nil && err == nil {
			err = rerr
		}
	}
	return c, indexOrder, err
}

// planNode is a node of an EXPLAIN (FORMAT JSON) plan.
type planNode struct {
	NodeType string     `json:"Node Type"`
	Relation string     `json:"Relation Name"`
	Plans    []planNode `json:"Plans"`
}

// indexOrdered reports whether a plan reads xml_access by an index scan and sorts nothing, so
// that its rows keep the index's order.
func indexOrdered(explain []byte) bool {
	var doc []struct {
		Plan planNode `json:"Plan"`
	}
	if json.Unmarshal(explain, &doc) != nil || len(doc) != 1 {
		return false
	}
	indexed, sorted := false, false
	var walk func(n planNode)
	walk = func(n planNode) {
		switch {
		case n.NodeType == "Sort" || n.NodeType == "Incremental Sort" || n.NodeType == "Hash":
			sorted = true
		case n.Relation == "xml_access":
			indexed = n.NodeType == "Index Scan" || n.NodeType == "Index Only Scan"
		}
		for _, c := range n.Plans {
			walk(c)
		}
	}
	walk(doc[0].Plan)
	return indexed && !sorted
}
