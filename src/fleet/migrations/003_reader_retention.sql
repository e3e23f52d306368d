-- sshwarden fleet schema, version 3: a read-only reporting role, and retention.

-- Members of sshwarden_reader (e.g. the login role "sshwarden-report" made by
-- `sshwarden fleet init URL --reader`) may read the fleet tables and nothing else: no function,
-- no write. `sshwarden report --fleet` and `fleet status`/`fleet why` work with it.
DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'sshwarden_reader') THEN CREATE ROLE sshwarden_reader NOLOGIN; END IF;
END $$;
GRANT USAGE ON SCHEMA sshwarden TO sshwarden_reader;
GRANT SELECT ON sshwarden.servers, sshwarden.decisions, sshwarden.scores, sshwarden.settings, sshwarden.active_allows,
  sshwarden.schema_migrations TO sshwarden_reader;
GRANT EXECUTE ON FUNCTION sshwarden.setting(text) TO sshwarden_reader;

-- Retention: removes what is older than `p_older_than` and no longer decides anything.
--  * score summaries whose minute bucket ended before the cutoff, and the rate cap's old counters;
--  * bans and logins created before the cutoff whose time has run out (a login also only once it
--    no longer protects: older than authenticated_for);
--  * unbans created before the cutoff unless a ban of the same target is still in force;
--  * allow/unallow entries created before the cutoff that a later entry of the same server and
--    target replaced, and a lone old unallow (nothing left for it to cancel).
-- What is still in force is never removed, so every guard's decisions stay the same; a guard
-- whose cursor is older than the cutoff simply reads fewer rows when it catches up. Fleet-rule
-- bans (server 'fleet') follow the same rules. Runs as the owner (the admin role), in one
-- transaction; returns what it removed. Not granted to server or reader roles.
CREATE FUNCTION sshwarden.prune(p_older_than interval, OUT scores bigint, OUT decisions bigint) LANGUAGE plpgsql
  SET search_path = sshwarden, pg_temp AS $$
DECLARE cutoff timestamptz := now() - p_older_than;
DECLARE n bigint;
BEGIN
  IF p_older_than < interval '1 hour' THEN RAISE EXCEPTION 'retention shorter than 1 hour: %', p_older_than; END IF;
  DELETE FROM sshwarden.scores WHERE (bucket + 1) * sshwarden.setting('bucket_seconds') <= extract(epoch FROM cutoff);
  GET DIAGNOSTICS scores = ROW_COUNT;
  DELETE FROM sshwarden.ban_rate WHERE minute < floor(extract(epoch FROM cutoff) / 60);
  DELETE FROM sshwarden.decisions d WHERE d.created < cutoff AND d.kind = 'ban' AND d.until <= now();
  GET DIAGNOSTICS decisions = ROW_COUNT;
  DELETE FROM sshwarden.decisions d WHERE d.created < cutoff AND d.kind = 'login' AND d.until <= now()
     AND d.created < now() - make_interval(secs => sshwarden.setting('authenticated_for_seconds'));
  GET DIAGNOSTICS n = ROW_COUNT; decisions := decisions + n;
  DELETE FROM sshwarden.decisions d WHERE d.created < cutoff AND d.kind = 'unban'
     AND NOT EXISTS (SELECT 1 FROM sshwarden.decisions b WHERE b.kind = 'ban' AND b.target = d.target AND b.until > now());
  GET DIAGNOSTICS n = ROW_COUNT; decisions := decisions + n;
  DELETE FROM sshwarden.decisions d WHERE d.created < cutoff AND d.kind IN ('allow', 'unallow')
     AND EXISTS (SELECT 1 FROM sshwarden.decisions l WHERE l.kind IN ('allow', 'unallow') AND l.server = d.server AND l.target = d.target AND l.seq > d.seq);
  GET DIAGNOSTICS n = ROW_COUNT; decisions := decisions + n;
  DELETE FROM sshwarden.decisions d WHERE d.created < cutoff AND d.kind = 'unallow'
     AND NOT EXISTS (SELECT 1 FROM sshwarden.decisions l WHERE l.kind = 'allow' AND l.server = d.server AND l.target = d.target);
  GET DIAGNOSTICS n = ROW_COUNT; decisions := decisions + n;
END $$;
REVOKE ALL ON FUNCTION sshwarden.prune(interval) FROM PUBLIC;
