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

// localDocs are the local documents (docid, rev): current revisions and older ones.
const localDocs = `WITH d AS (SELECT docid, rev FROM xml_documents UNION SELECT docid, rev FROM xml_revisions) `

// noIdentifierQuery finds the local documents without identifier row (and whose local id is
// neither a pid with system metadata nor one with an identifier row: those are in the pass
// already), with their local id as Metacat's candidate query writes it.
const noIdentifierQuery = localDocs + `
SELECT concat(d.docid, '.', d.rev) AS id FROM d
WHERE NOT EXISTS (SELECT 1 FROM identifier i WHERE i.docid = d.docid AND i.rev = d.rev)
  AND NOT EXISTS (SELECT 1 FROM systemmetadata s WHERE s.guid = concat(d.docid, '.', d.rev))
  AND NOT EXISTS (SELECT 1 FROM identifier i WHERE i.guid = concat(d.docid, '.', d.rev))
ORDER BY concat(d.docid, '.', d.rev)`

// noSysmetaQuery finds the identifier rows of local documents that have no system metadata.
const noSysmetaQuery = localDocs + `
SELECT i.guid, i.docid, i.rev FROM identifier i JOIN d ON i.docid = d.docid AND i.rev = d.rev
WHERE NOT EXISTS (SELECT 1 FROM systemmetadata s WHERE s.guid = i.guid)
ORDER BY i.guid`

// countQuery counts the entries of a pass, for progress.
const countQuery = `SELECT (SELECT count(*) FROM systemmetadata),
	(SELECT count(*) FROM (` + noIdentifierQuery + `) a),
	(SELECT count(*) FROM (` + noSysmetaQuery + `) c)`
