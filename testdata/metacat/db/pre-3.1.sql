-- Turns a database made by schema.sql (and, optionally, sample.sql) into one that Metacat's 3.1
-- upgrade has not reached yet, as a 3.0 database is: no checksums table, and the version table
-- still under its old name db_version, without the storage conversion status and its enum type.
-- hashstore's converter must notice this and refuse --checksums-to-db.
--
-- Apply it last:  psql -X -v ON_ERROR_STOP=1 -d DSN -f schema.sql -f sample.sql -f pre-3.1.sql

BEGIN;

DROP TABLE checksums;
DROP SEQUENCE checksums_id_seq;

ALTER TABLE version_history DROP COLUMN storage_upgrade_status;
DROP TYPE version_history_upgrade_status;
ALTER TABLE version_history RENAME TO db_version;
ALTER TABLE db_version RENAME COLUMN version_history_id TO db_version_id;
ALTER TABLE db_version RENAME CONSTRAINT version_history_pk TO db_version_pk;
ALTER SEQUENCE version_history_id_seq RENAME TO db_version_id_seq;

-- Forget the versions from 3.1 on; 3.0.0 becomes the current one.
DELETE FROM db_version WHERE string_to_array(version, '.')::int[] >= '{3,1}';
UPDATE db_version SET status = CASE WHEN version = '3.0.0' THEN 1 ELSE 0 END;

COMMIT;
