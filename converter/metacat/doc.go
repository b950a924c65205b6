// Package metacat reads a Metacat 3.x repository straight from its PostgreSQL database, as a
// converter.Source for the bulk conversion (converter.RunBulk): every pid with system
// metadata, its SystemMetadata document built from the rows byte for byte as Metacat's
// marshaller writes it, its data file found in Metacat's documents/ or data/ directory, and
// the local documents Metacat's own upgrader would still convert itself, reported.
//
// A pass reads one snapshot of the database (a read-only REPEATABLE READ transaction; its
// start is the pass's T0) through server-side cursors in pid order, the side tables merged
// in as they stream, so memory stays bounded whatever the number of pids. The database is
// only read; Load writes the checksums table (and, asked to, corrected checksums) after a
// pass. docs/METACAT.md describes the mapping, the candidates and the procedure.
package metacat
