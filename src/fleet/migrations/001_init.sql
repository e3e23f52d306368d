-- sshwarden fleet schema, version 1.
-- Every server writes only through the SECURITY DEFINER functions below, which take the server's
-- name from the role it logged in as (session_user), so no server can write in another's name,
-- and no server role has INSERT, UPDATE or DELETE on any table. Sequence numbers (decisions.seq),
-- not timestamps, order the decisions; times that matter are taken from this database's clock.

CREATE TABLE sshwarden.servers (
  name      text PRIMARY KEY CHECK (name ~ '^[a-z0-9][a-z0-9._-]{0,62}$'),
  role      name UNIQUE,                      -- NULL for the pseudo-server 'fleet' (the fleet rule)
  created   timestamptz NOT NULL DEFAULT now(),
  last_seen timestamptz,
  last_seq  bigint NOT NULL DEFAULT 0,
  version   text
);
INSERT INTO sshwarden.servers (name, role) VALUES ('fleet', NULL);

CREATE TABLE sshwarden.settings (key text PRIMARY KEY, value text NOT NULL);
INSERT INTO sshwarden.settings VALUES
  ('authenticated_for_seconds', '2592000'),   -- a login anywhere protects its source everywhere this long
  ('max_bans_per_minute', '600'),             -- one server cannot publish more bans than this per minute
  ('min_prefix_v4', '16'),                    -- no fleet ban wider than this
  ('min_prefix_v6', '32'),
  ('bucket_seconds', '60');

CREATE TABLE sshwarden.decisions (
  seq       bigserial PRIMARY KEY,
  server    text NOT NULL REFERENCES sshwarden.servers(name),
  kind      text NOT NULL CHECK (kind IN ('ban', 'unban', 'allow', 'unallow', 'login')),
  target    cidr NOT NULL,
  until     timestamptz,
  reason    text NOT NULL DEFAULT '' CHECK (length(reason) <= 2000),
  evidence  jsonb NOT NULL DEFAULT '[]' CHECK (length(evidence::text) <= 20000),
  origin_id text NOT NULL CHECK (length(origin_id) <= 200),
  created   timestamptz NOT NULL DEFAULT now(),
  UNIQUE (server, origin_id)
);
CREATE INDEX decisions_target ON sshwarden.decisions USING gist (target inet_ops);
CREATE INDEX decisions_created ON sshwarden.decisions (created);
CREATE INDEX decisions_server_kind_created ON sshwarden.decisions (server, kind, created);

CREATE TABLE sshwarden.scores (
  source  cidr NOT NULL,
  bucket  bigint NOT NULL,                    -- floor(epoch of this database's clock / bucket_seconds)
  server  text NOT NULL REFERENCES sshwarden.servers(name),
  score   real NOT NULL CHECK (score >= 0),
  events  integer NOT NULL CHECK (events >= 0),
  PRIMARY KEY (source, bucket, server)
);
CREATE INDEX scores_bucket ON sshwarden.scores (bucket);

CREATE FUNCTION sshwarden.setting(k text) RETURNS bigint LANGUAGE sql STABLE
  SET search_path = sshwarden, pg_temp AS $$ SELECT value::bigint FROM sshwarden.settings WHERE key = k $$;

-- The calling server's name, from the role it logged in as.
CREATE FUNCTION sshwarden.me() RETURNS text LANGUAGE plpgsql STABLE SECURITY DEFINER
  SET search_path = sshwarden, pg_temp AS $$
DECLARE n text;
BEGIN
  SELECT name INTO n FROM sshwarden.servers WHERE role = session_user;
  IF n IS NULL THEN RAISE EXCEPTION 'role % is not a registered sshwarden server (sshwarden fleet init --server NAME)', session_user; END IF;
  RETURN n;
END $$;

-- Why a ban of `t` must not be published fleet-wide, or NULL.
CREATE FUNCTION sshwarden.ban_refusal(t cidr) RETURNS text LANGUAGE plpgsql STABLE
  SET search_path = sshwarden, pg_temp AS $$
DECLARE hit record;
BEGIN
  IF family(t) = 4 AND masklen(t) < sshwarden.setting('min_prefix_v4') THEN
    RETURN format('wider than /%s', sshwarden.setting('min_prefix_v4'));
  END IF;
  IF family(t) = 6 AND masklen(t) < sshwarden.setting('min_prefix_v6') THEN
    RETURN format('wider than /%s', sshwarden.setting('min_prefix_v6'));
  END IF;
  SELECT d.server, d.target INTO hit FROM sshwarden.decisions d
   WHERE d.kind = 'login' AND d.created > now() - make_interval(secs => sshwarden.setting('authenticated_for_seconds'))
     AND (d.target <<= t OR t <<= d.target) LIMIT 1;
  IF FOUND THEN RETURN format('%s logged in on %s', host(hit.target), hit.server); END IF;
  SELECT a.server, a.target INTO hit FROM sshwarden.active_allows a WHERE a.target >>= t OR t >>= a.target LIMIT 1;
  IF FOUND THEN RETURN format('allowlisted on %s (%s)', hit.server, hit.target); END IF;
  RETURN NULL;
END $$;

-- Allow entries still in force: the latest allow/unallow of each (server, target) is an allow.
CREATE VIEW sshwarden.active_allows AS
  SELECT server, target FROM (
    SELECT DISTINCT ON (server, target) server, target, kind FROM sshwarden.decisions
     WHERE kind IN ('allow', 'unallow') ORDER BY server, target, seq DESC
  ) last WHERE kind = 'allow';

-- Publishes one decision of the calling server. Idempotent by origin_id (a retry after a lost
-- answer, or a republish after an outage, returns the first seq). A refused ban returns seq NULL
-- and the reason.
CREATE FUNCTION sshwarden.publish(p_kind text, p_target cidr, p_seconds double precision, p_reason text, p_evidence jsonb, p_origin_id text,
                                  OUT seq bigint, OUT refused text) LANGUAGE plpgsql SECURITY DEFINER
  SET search_path = sshwarden, pg_temp AS $$
DECLARE srv text := sshwarden.me();
DECLARE recent bigint;
BEGIN
  IF p_kind NOT IN ('ban', 'unban', 'allow', 'unallow', 'login') THEN RAISE EXCEPTION 'unknown decision kind %', p_kind; END IF;
  SELECT d.seq INTO seq FROM sshwarden.decisions d WHERE d.server = srv AND d.origin_id = p_origin_id;
  IF FOUND THEN RETURN; END IF;
  IF p_kind = 'ban' THEN
    IF p_seconds IS NULL OR p_seconds <= 0 OR p_seconds > 31536000 THEN RAISE EXCEPTION 'ban duration out of range: %', p_seconds; END IF;
    refused := sshwarden.ban_refusal(p_target);
    IF refused IS NULL THEN
      SELECT count(*) INTO recent FROM sshwarden.decisions d
       WHERE d.server = srv AND d.kind = 'ban' AND d.created > now() - interval '1 minute';
      IF recent >= sshwarden.setting('max_bans_per_minute') THEN
        refused := format('server %s published %s bans in the last minute (cap %s)', srv, recent, sshwarden.setting('max_bans_per_minute'));
      END IF;
    END IF;
    IF refused IS NOT NULL THEN RETURN; END IF;
  END IF;
  INSERT INTO sshwarden.decisions (server, kind, target, until, reason, evidence, origin_id)
  VALUES (srv, p_kind, p_target, CASE WHEN p_seconds IS NULL THEN NULL ELSE now() + make_interval(secs => p_seconds) END,
          left(coalesce(p_reason, ''), 2000), coalesce(p_evidence, '[]'::jsonb), p_origin_id)
  RETURNING decisions.seq INTO seq;
END $$;

-- Adds the calling server's score summaries and applies the fleet rule: a source whose scores
-- summed over every server within the last `p_window_seconds` reach `p_threshold` is banned
-- fleet-wide (server 'fleet') for `p_ban_seconds`, unless it is protected (login, allowlist).
-- p_rows: [{"source": "198.51.100.7", "score": 12, "events": 2}, ...]. Returns the new fleet bans' seqs.
CREATE FUNCTION sshwarden.publish_scores(p_rows jsonb, p_threshold double precision, p_window_seconds integer, p_ban_seconds double precision)
  RETURNS SETOF bigint LANGUAGE plpgsql SECURITY DEFINER
  SET search_path = sshwarden, pg_temp AS $$
DECLARE srv text := sshwarden.me();
DECLARE bsec bigint := sshwarden.setting('bucket_seconds');
DECLARE b bigint := floor(extract(epoch FROM now()) / bsec);
DECLARE r record;
DECLARE total double precision;
DECLARE servers text;
DECLARE why text;
DECLARE s bigint;
BEGIN
  IF p_threshold IS NULL OR p_threshold <= 0 THEN RAISE EXCEPTION 'fleet threshold must be positive'; END IF;
  IF p_ban_seconds IS NULL OR p_ban_seconds <= 0 OR p_ban_seconds > 31536000 THEN RAISE EXCEPTION 'ban duration out of range'; END IF;
  FOR r IN SELECT (x->>'source')::cidr AS source, greatest(0, least(1e6, (x->>'score')::real)) AS score,
                  greatest(0, least(1e6, (x->>'events')::integer)) AS events
             FROM jsonb_array_elements(p_rows) x LOOP
    INSERT INTO sshwarden.scores AS sc (source, bucket, server, score, events) VALUES (r.source, b, srv, r.score, r.events)
      ON CONFLICT (source, bucket, server) DO UPDATE SET score = sc.score + excluded.score, events = sc.events + excluded.events;
    PERFORM pg_advisory_xact_lock(hashtext('sshwarden.fleet-rule:' || r.source::text));
    SELECT sum(sc.score), string_agg(sc.server || ' ' || trim_scale(round(sc.score::numeric, 1)), ', ' ORDER BY sc.server) INTO total, servers FROM (
      SELECT server, sum(score) AS score FROM sshwarden.scores
       WHERE source = r.source AND bucket > b - greatest(1, p_window_seconds / bsec) GROUP BY server) sc;
    IF total < p_threshold THEN CONTINUE; END IF;
    PERFORM 1 FROM sshwarden.decisions d WHERE d.server = 'fleet' AND d.kind = 'ban' AND d.target = r.source AND d.until > now();
    IF FOUND THEN CONTINUE; END IF;
    why := sshwarden.ban_refusal(r.source);
    IF why IS NOT NULL THEN CONTINUE; END IF;
    INSERT INTO sshwarden.decisions (server, kind, target, until, reason, origin_id)
    VALUES ('fleet', 'ban', r.source, now() + make_interval(secs => p_ban_seconds),
            format('fleet score %s >= %s within %s min across servers (%s)', trim_scale(round(total::numeric, 1)), p_threshold, p_window_seconds / 60, servers),
            format('rule:%s:%s', r.source, b))
    ON CONFLICT DO NOTHING RETURNING seq INTO s;
    IF s IS NOT NULL THEN RETURN NEXT s; END IF;
  END LOOP;
END $$;

-- Liveness of the calling server: when it last spoke, and the last seq it has applied.
CREATE FUNCTION sshwarden.heartbeat(p_last_seq bigint, p_version text) RETURNS void LANGUAGE sql SECURITY DEFINER
  SET search_path = sshwarden, pg_temp AS $$
  UPDATE sshwarden.servers SET last_seen = now(), last_seq = greatest(last_seq, p_last_seq), version = left(p_version, 40)
   WHERE name = sshwarden.me()
$$;

-- Every new decision wakes the listening guards; the payload is its seq (they read by seq).
CREATE FUNCTION sshwarden.notify_decision() RETURNS trigger LANGUAGE plpgsql
  SET search_path = sshwarden, pg_temp AS $$
BEGIN PERFORM pg_notify('sshwarden_decisions', NEW.seq::text); RETURN NEW; END $$;
CREATE TRIGGER decisions_notify AFTER INSERT ON sshwarden.decisions FOR EACH ROW EXECUTE FUNCTION sshwarden.notify_decision();

-- Server roles (members of sshwarden_server) read everything and write only through the functions.
REVOKE ALL ON ALL TABLES IN SCHEMA sshwarden FROM PUBLIC;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA sshwarden FROM PUBLIC;
GRANT USAGE ON SCHEMA sshwarden TO sshwarden_server;
GRANT SELECT ON sshwarden.servers, sshwarden.decisions, sshwarden.scores, sshwarden.settings, sshwarden.active_allows TO sshwarden_server;
GRANT EXECUTE ON FUNCTION sshwarden.me(), sshwarden.publish(text, cidr, double precision, text, jsonb, text),
  sshwarden.publish_scores(jsonb, double precision, integer, double precision), sshwarden.heartbeat(bigint, text),
  sshwarden.setting(text), sshwarden.ban_refusal(cidr) TO sshwarden_server;
