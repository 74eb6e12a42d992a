-- The database of a city's jiuzhu-central on PostgreSQL 13 or newer (issue #21); run once as a
-- superuser: psql -v password="'…'" -f postgres-setup.sql
-- The service owns its database and nothing else; central applies its own migrations at start
-- (under an advisory lock, so instances starting together migrate once).
CREATE ROLE jiuzhu_central LOGIN PASSWORD :password;
CREATE DATABASE jiuzhu OWNER jiuzhu_central ENCODING 'UTF8' TEMPLATE template0;
REVOKE ALL ON DATABASE jiuzhu FROM PUBLIC;
-- Server side, in postgresql.conf: ssl = on, ssl_cert_file / ssl_key_file of the database's
-- certificate (issued by the CA in the services' sslrootcert), password_encryption = scram-sha-256;
-- in pg_hba.conf accept the central instances over TLS only:
--   hostssl jiuzhu jiuzhu_central 10.0.0.0/8 scram-sha-256
