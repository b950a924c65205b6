// Command hashstore is the operator's interface to a DataONE-compatible HashStore: it creates
// stores, stores, tags, retrieves, checks and deletes objects and their metadata documents.
// Its names, flags, output and exit statuses are the contract in docs/CLI.md; the command tree lives
// in internal/cli so that it can be run in-process by tests.
package main

import (
	"os"

	"github.com/hashstore-go/hashstore/cmd/hashstore/internal/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
