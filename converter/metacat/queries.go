package metacat

// The queries of a pass. Every cursor is ordered by pid in byte order (COLLATE "C", which is
// Go's string order whatever the database's collation), so that the side tables can be merged
// with the systemmetadata rows as they stream. Rows of one pid come in the order Metacat reads
// them: its queries have no ORDER BY (but for the replication policy's policy_id), so they
// return rows in physical order, which is ctid order.

// smQuery reads every systemmetadata row with the pid's identifier row (columns: smRow).
const smQuery = `
SELECT sm.guid, sm.series_id, sm.serial_version, sm.date_uploaded, sm.rights_holder, sm.checksum,
       sm.checksum_algorithm, sm.origin_member_node, sm.authoritive_member_node, sm.date_modified,
       sm.submitter, sm.object_format, sm.size, sm.archived, sm.replication_allowed, sm.number_replicas,
       sm.obsoletes, sm.obsoleted_by, sm.media_type, sm.file_name,
       i.guid IS NOT NULL, i.docid, i.rev
FROM systemmetadata sm LEFT JOIN identifier i ON i.guid = sm.guid
ORDER BY sm.guid COLLATE "C"`

const accessQuery = `
SELECT guid, principal_name, permission, perm_type, perm_order FROM xml_access
WHERE guid IS NOT NULL ORDER BY guid COLLATE "C", ctid`

// policyQuery takes the rows Metacat's two policy queries take (policy exactly "preferred" or
// "blocked"), in its order (policy_id ascending).
const policyQuery = `
SELECT guid, member_node, policy FROM smreplicationpolicy
WHERE guid IS NOT NULL AND policy IN ('preferred', 'blocked') ORDER BY guid COLLATE "C", policy_id, ctid`

const replicaQuery = `
SELECT guid, member_node, status, date_verified FROM smreplicationstatus
WHERE guid IS NOT NULL ORDER BY guid COLLATE "C", ctid`

const propertyQuery = `
SELECT guid, name, value FROM smmediatypeproperties
WHERE guid IS NOT NULL ORDER BY guid COLLATE "C", ctid`

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
ORDER BY concat(d.docid, '.', d.rev) COLLATE "C"`

// noSysmetaQuery finds the identifier rows of local documents that have no system metadata.
const noSysmetaQuery = localDocs + `
SELECT i.guid, i.docid, i.rev FROM identifier i JOIN d ON i.docid = d.docid AND i.rev = d.rev
WHERE NOT EXISTS (SELECT 1 FROM systemmetadata s WHERE s.guid = i.guid)
ORDER BY i.guid COLLATE "C"`

// countQuery counts the entries of a pass, for progress.
const countQuery = `SELECT (SELECT count(*) FROM systemmetadata),
	(SELECT count(*) FROM (` + noIdentifierQuery + `) a),
	(SELECT count(*) FROM (` + noSysmetaQuery + `) c)`
