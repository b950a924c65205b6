package metacat

// The queries of a pass. The systemmetadata rows and the side tables' rows are all ordered by
// pid in the database's own collation, and each side table is limited to the pids that have a
// systemmetadata row, so that the rows of one pid come together and in the same order in every
// stream: the source merges them by equality alone, never comparing two pids itself (Go's
// byte order and the collation's order may differ). Within one pid, rows come in the order
// Metacat's own per-pid queries return them (docs/METACAT.md): xml_access rows in the order of
// its index on guid (accessIndexQuery, see accessCursor), the member nodes by policy_id, the
// rows of the tables without an index in physical (ctid) order.

// smQuery reads every systemmetadata row with the pid's identifier row (columns: smRow).
const smQuery = `
SELECT sm.guid, sm.series_id, sm.serial_version, sm.date_uploaded, sm.rights_holder, sm.checksum,
       sm.checksum_algorithm, sm.origin_member_node, sm.authoritive_member_node, sm.date_modified,
       sm.submitter, sm.object_format, sm.size, sm.archived, sm.replication_allowed, sm.number_replicas,
       sm.obsoletes, sm.obsoleted_by, sm.media_type, sm.file_name,
       i.guid IS NOT NULL, i.docid, i.rev
FROM systemmetadata sm LEFT JOIN identifier i ON i.guid = sm.guid
ORDER BY sm.guid`

// hasSysmeta limits a side table (alias t) to the pids with system metadata.
const hasSysmeta = ` WHERE EXISTS (SELECT 1 FROM systemmetadata s WHERE s.guid = t.guid) `

// accessIndexQuery is planned with the planner held to index scans (accessCursor), so that the
// rows of one pid come in the order of xml_access's index on guid, as Metacat's query, run on
// a table of any real size, gets them.
const accessIndexQuery = `
SELECT t.guid, t.principal_name, t.permission, t.perm_type, t.perm_order FROM xml_access t` + hasSysmeta + `
ORDER BY t.guid`

// accessPhysicalQuery is the fallback when xml_access has no usable index on guid: Metacat's
// query then scans the table, in physical order.
const accessPhysicalQuery = `
SELECT t.guid, t.principal_name, t.permission, t.perm_type, t.perm_order FROM xml_access t` + hasSysmeta + `
ORDER BY t.guid, t.ctid`

// policyQuery takes the rows Metacat's two policy queries take (policy exactly "preferred" or
// "blocked"), in its order (policy_id ascending).
const policyQuery = `
SELECT t.guid, t.member_node, t.policy FROM smreplicationpolicy t` + hasSysmeta + `
AND t.policy IN ('preferred', 'blocked') ORDER BY t.guid, t.policy_id, t.ctid`

const replicaQuery = `
SELECT t.guid, t.member_node, t.status, t.date_verified FROM smreplicationstatus t` + hasSysmeta + `
ORDER BY t.guid, t.ctid`

const propertyQuery = `
SELECT t.guid, t.name, t.value FROM smmediatypeproperties t` + hasSysmeta + `
ORDER BY t.guid, t.ctid`

// noIdentifierQuery finds the local documents (current revisions in xml_documents, older
// ones in xml_revisions) that have no identifier row, with their local id as Metacat's
// candidate query writes it; those whose local id is a pid with system metadata or with an
// identifier row are left out, being in the pass already. The documents without identifier
// row are few, so they are found first (MATERIALIZED keeps the planner to that order).
const noIdentifierQuery = `
WITH d AS MATERIALIZED (
  SELECT x.docid, x.rev FROM xml_documents x
  WHERE NOT EXISTS (SELECT 1 FROM identifier i WHERE i.docid = x.docid AND i.rev = x.rev)
  UNION
  SELECT x.docid, x.rev FROM xml_revisions x
  WHERE NOT EXISTS (SELECT 1 FROM identifier i WHERE i.docid = x.docid AND i.rev = x.rev))
SELECT concat(d.docid, '.', d.rev) FROM d
WHERE NOT EXISTS (SELECT 1 FROM systemmetadata s WHERE s.guid = concat(d.docid, '.', d.rev))
  AND NOT EXISTS (SELECT 1 FROM identifier i WHERE i.guid = concat(d.docid, '.', d.rev))
ORDER BY concat(d.docid, '.', d.rev)`

// noSysmetaQuery finds the identifier rows without system metadata whose local document
// exists (current or older revision); again the few rows without system metadata first.
const noSysmetaQuery = `
WITH n AS MATERIALIZED (
  SELECT i.guid, i.docid, i.rev FROM identifier i
  WHERE NOT EXISTS (SELECT 1 FROM systemmetadata s WHERE s.guid = i.guid))
SELECT n.guid, n.docid, n.rev FROM n
WHERE EXISTS (SELECT 1 FROM xml_documents x WHERE x.docid = n.docid AND x.rev = n.rev)
   OR EXISTS (SELECT 1 FROM xml_revisions x WHERE x.docid = n.docid AND x.rev = n.rev)
ORDER BY n.guid`

// countQuery counts the entries of a pass, for progress.
const countQuery = `SELECT (SELECT count(*) FROM systemmetadata),
	(SELECT count(*) FROM (` + noIdentifierQuery + `) a),
	(SELECT count(*) FROM (` + noSysmetaQuery + `) c)`
