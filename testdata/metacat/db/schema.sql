-- A Metacat-shaped PostgreSQL schema, as a Metacat 3.1 (or later) database has it after its
-- upgrades, reduced to the tables and columns hashstore's converter reads or writes. It is
-- written for this project from a description of Metacat's tables (docs/METACAT.md), not taken
-- from Metacat. Names are written in Metacat's mixed case without quotes, so PostgreSQL folds
-- them to lower case: systemMetadata becomes systemmetadata, systemMetadata_pk becomes
-- systemmetadata_pk. Every TIMESTAMP is "timestamp without time zone", as in Metacat: the wall
-- clock of the JVM that wrote it; every DATE is a day without a time.
--
-- Apply it to an empty database:  psql -X -v ON_ERROR_STOP=1 -d DSN -f schema.sql
-- then sample.sql for the rows of the sample repository, and pre-3.1.sql for a database that
-- has not been upgraded to 3.1 yet (no checksums table). Plain SQL only: no psql
-- meta-commands, so that internal/pgtest can run the file through pgx as well.

BEGIN;

-- identifier: which local document (docid and revision) holds the bytes of a DataONE
-- identifier (pid). docid || '.' || rev is the local id and also the name of the file in the
-- legacy store (documents/ or data/). There is no foreign key to systemMetadata: a pid may
-- have a row here and no system metadata, or the other way round.
CREATE TABLE identifier (
    guid  TEXT NOT NULL,
    docid VARCHAR(250),
    rev   INT8,
    CONSTRAINT identifier_pk PRIMARY KEY (guid)
);
CREATE INDEX identifier_guid ON identifier (guid);
CREATE INDEX identifier_docid ON identifier (docid);
CREATE INDEX identifier_rev ON identifier (rev);
CREATE INDEX identifier_docid_rev ON identifier (docid, rev);
CREATE INDEX identifier_docid_rev_localid ON identifier ((docid || '.' || rev));

-- systemMetadata: the scalar fields of one pid's system metadata, one row per pid. Sizes and
-- serial versions are text that the reader parses as integers; number_replicas -1 stands for
-- "not set". The column authoritive_member_node is misspelled in Metacat and kept so.
CREATE TABLE systemMetadata (
    guid                    TEXT NOT NULL,
    series_id               TEXT,
    serial_version          VARCHAR(256),
    date_uploaded           TIMESTAMP,
    rights_holder           VARCHAR(250),
    checksum                VARCHAR(512),
    checksum_algorithm      VARCHAR(250),
    origin_member_node      VARCHAR(250),
    authoritive_member_node VARCHAR(250),
    date_modified           TIMESTAMP,
    submitter               VARCHAR(256),
    object_format           VARCHAR(256),
    size                    VARCHAR(256),
    archived                BOOLEAN,
    replication_allowed     BOOLEAN,
    number_replicas         INT8,
    obsoletes               TEXT,
    obsoleted_by            TEXT,
    media_type              TEXT,
    file_name               TEXT,
    CONSTRAINT systemMetadata_pk PRIMARY KEY (guid)
);
CREATE INDEX systemMetadata_series_id ON systemMetadata (series_id);
CREATE INDEX systemMetadata_date_uploaded ON systemMetadata (date_uploaded);
CREATE INDEX systemMetadata_date_modified ON systemMetadata (date_modified);
CREATE INDEX systemMetadata_object_format ON systemMetadata (object_format);
CREATE INDEX systemMetadata_archived ON systemMetadata (archived);

-- smMediaTypeProperties: the name/value properties of a pid's media type. No key at all, so
-- the same property can appear twice (Metacat appends them again on every store).
CREATE TABLE smMediaTypeProperties (
    guid  TEXT,
    name  TEXT,
    value TEXT,
    CONSTRAINT smMediaTypeProperties_fk
        FOREIGN KEY (guid) REFERENCES systemMetadata DEFERRABLE
);

-- smReplicationPolicy: a pid's preferred and blocked member nodes; policy is 'preferred' or
-- 'blocked', and policy_id (from a sequence, not a declared key) gives their order.
CREATE SEQUENCE policy_id_seq;
CREATE TABLE smReplicationPolicy (
    policy_id   INT8 DEFAULT nextval('policy_id_seq'),
    guid        TEXT,
    member_node VARCHAR(250),
    policy      TEXT,
    CONSTRAINT smReplicationPolicy_fk
        FOREIGN KEY (guid) REFERENCES systemMetadata DEFERRABLE
);
CREATE INDEX smReplicationPolicy_guid ON smReplicationPolicy (guid);

-- smReplicationStatus: a pid's replicas. status holds the upper-case name of the replication
-- status (QUEUED, REQUESTED, COMPLETED, FAILED, INVALIDATED).
CREATE TABLE smReplicationStatus (
    guid          TEXT,
    member_node   VARCHAR(250),
    status        VARCHAR(250),
    date_verified TIMESTAMP,
    CONSTRAINT smReplicationStatus_fk
        FOREIGN KEY (guid) REFERENCES systemMetadata DEFERRABLE
);

-- xml_access: access rules, one row per subject and rule, joined to a pid by guid. permission
-- is a bit mask (1 change permission, 2 write, 4 read; 7 all three); perm_type is 'allow' or
-- 'deny', perm_order 'allowFirst' or 'denyFirst'. The remaining columns date from Metacat's
-- EML access files and play no part in system metadata.
CREATE TABLE xml_access (
    guid           TEXT,
    accessfileid   TEXT,
    principal_name VARCHAR(100),
    permission     INT8,
    perm_type      VARCHAR(32),
    perm_order     VARCHAR(32),
    begin_time     DATE,
    end_time       DATE,
    ticket_count   INT8,
    subtreeid      VARCHAR(32),
    startnodeid    INT8,
    endnodeid      INT8,
    CONSTRAINT xml_access_begin_before_end CHECK (begin_time < end_time)
);
CREATE INDEX xml_access_idx6 ON xml_access (guid);
CREATE INDEX xml_access_principal_lower ON xml_access (lower(principal_name));

-- xml_documents: the current revision of each local document, one row per docid. doctype is
-- 'BIN' for data and a namespace or public id for metadata. Metacat's catalog_id refers to a
-- catalogue table this schema leaves out, so here it is a plain column.
CREATE TABLE xml_documents (
    docid        VARCHAR(250) NOT NULL,
    rootnodeid   INT8,
    docname      VARCHAR(100),
    doctype      VARCHAR(100),
    user_owner   VARCHAR(100),
    user_updated VARCHAR(100),
    rev          INT8 DEFAULT 1,
    date_created DATE,
    date_updated DATE,
    catalog_id   INT8,
    CONSTRAINT xml_documents_pk PRIMARY KEY (docid)
);
CREATE INDEX xml_documents_docid_doctype ON xml_documents (docid, doctype);
CREATE INDEX xml_documents_user_owner_lower ON xml_documents (lower(user_owner));
CREATE INDEX xml_documents_docid_rev ON xml_documents (docid, rev);
CREATE INDEX xml_documents_docid ON xml_documents (docid);

-- xml_revisions: revisions that are no longer current (replaced or archived), with the same
-- columns as xml_documents plus a sequence-numbered key.
CREATE SEQUENCE xml_revisions_id_seq;
CREATE TABLE xml_revisions (
    revisionid   INT8 DEFAULT nextval('xml_revisions_id_seq'),
    docid        VARCHAR(250),
    rootnodeid   INT8,
    docname      VARCHAR(100),
    doctype      VARCHAR(100),
    user_owner   VARCHAR(100),
    user_updated VARCHAR(100),
    rev          INT8,
    date_created DATE,
    date_updated DATE,
    catalog_id   INT8,
    CONSTRAINT xml_revisions_pk PRIMARY KEY (revisionid)
);
CREATE INDEX xml_revisions_docid ON xml_revisions (docid);

-- checksums: every digest HashStore computed for a pid (lower-case hex, algorithm spelled as
-- HashStore does). Metacat 3.1 added the table; a pid with at least one row counts as
-- converted. No unique key, so inserting twice duplicates rows.
CREATE SEQUENCE checksums_id_seq;
CREATE TABLE checksums (
    checksum_id        INT8 DEFAULT nextval('checksums_id_seq'),
    guid               TEXT NOT NULL,
    checksum           VARCHAR(512) NOT NULL,
    checksum_algorithm VARCHAR(250) NOT NULL,
    CONSTRAINT checksums_fk
        FOREIGN KEY (guid) REFERENCES systemMetadata DEFERRABLE
);
CREATE INDEX checksums_guid ON checksums (guid);
CREATE INDEX checksums_checksum ON checksums (checksum);
CREATE INDEX checksums_checksum_algorithm ON checksums (checksum_algorithm);

-- version_history: one row per schema version the database went through; status 1 marks the
-- current one. The row of version 3.1.0 carries the state of the storage conversion.
CREATE TYPE version_history_upgrade_status AS ENUM
    ('in progress', 'failed', 'complete', 'not required', 'pending');
CREATE SEQUENCE version_history_id_seq;
CREATE TABLE version_history (
    version_history_id     INT8 DEFAULT nextval('version_history_id_seq'),
    version                VARCHAR(250),
    status                 INT8,
    date_created           TIMESTAMP,
    solr_upgraded          BOOLEAN,
    storage_upgrade_status version_history_upgrade_status,
    CONSTRAINT version_history_pk PRIMARY KEY (version_history_id)
);

-- access_log: Metacat's event log. docid holds the local id (docid.rev), not the pid; event is
-- e.g. create, update, delete, updateSystemMetadata, read.
CREATE SEQUENCE access_log_id_seq;
CREATE TABLE access_log (
    entryid     INT8 DEFAULT nextval('access_log_id_seq'),
    ip_address  VARCHAR(512),
    user_agent  VARCHAR(512),
    principal   VARCHAR(512),
    docid       VARCHAR(250),
    event       VARCHAR(512),
    date_logged TIMESTAMP,
    CONSTRAINT access_log_pk PRIMARY KEY (entryid)
);
CREATE INDEX access_log_date_logged ON access_log (date_logged);

COMMIT;
