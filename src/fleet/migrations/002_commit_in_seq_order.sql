-- sshwarden fleet schema, version 2: decisions become visible in seq order, and publishing scales.
--
-- Every reader catches up by `seq > last applied`. That is only exactly-once if no row with a
-- smaller seq can become visible after one with a larger seq; with a seq taken at INSERT and the
-- row visible at COMMIT, two servers publishing at once could do exactly that (B's seq 11 commits
-- before A's seq 10; a reader at 9 reads 11 and never sees 10). So each insert first takes one
-- transaction-scoped advisory lock and only then its seq; the lock is held until commit, so
-- inserts commit in seq order. Gaps (a rolled-back insert) stay possible and harmless.
ALTER TABLE sshwarden.decisions ALTER COLUMN seq DROP DEFAULT;
CREATE FUNCTION sshwarden.order_decision() RETURNS trigger LANGUAGE plpgsql
  SET search_path = sshwarden, pg_temp AS $$
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext('sshwarden.decisions-order'));
  NEW.seq := nextval('sshwarden.decisions_seq_seq');
  RETURN NEW;
END $$;
CREATE TRIGGER decisions_order BEFORE INSERT ON sshwarden.decisions FOR EACH ROW EXECUTE FUNCTION sshwarden.order_decision();

-- The fleet rule, as in version 1, with two changes so the order lock above cannot deadlock with
-- the per-source locks: sources are locked in one order (by address), and the fleet bans are
-- inserted after the loop (a transaction holding the order lock never waits for a source lock).
CREATE OR REPLACE FUNCTION sshwarden.publish_scores(p_rows jsonb, p_threshold double precision, p_window_seconds integer, p_ban_seconds double precision)
  RETURNS SETOF bigint LANGUAGE plpgsql SECURITY DEFINER
  SET search_path = sshwarden, pg_temp AS $$
DECLARE srv text := sshwarden.me();
DECLARE bsec bigint := sshwarden.setting('bucket_seconds');
DECLARE b bigint := floor(extract(epoch FROM now()) / bsec);
DECLARE r record;
DECLARE total double precision;
DECLARE servers text;
DECLARE bans cidr[] := '{}';
DECLARE reasons text[] := '{}';
DECLARE s bigint;
BEGIN
  IF p_threshold IS NULL OR p_threshold <= 0 THEN RAISE EXCEPTION 'fleet threshold must be positive'; END IF;
  IF p_ban_seconds IS NULL OR p_ban_seconds <= 0 OR p_ban_seconds > 31536000 THEN RAISE EXCEPTION 'ban duration out of range'; END IF;
  FOR r IN SELECT (x->>'source')::cidr AS source, greatest(0, least(1e6, (x->>'score')::real)) AS score,
                  greatest(0, least(1e6, (x->>'events')::integer)) AS events
             FROM jsonb_array_elements(p_rows) x ORDER BY 1 LOOP
    INSERT INTO sshwarden.scores AS sc (source, bucket, server, score, events) VALUES (r.source, b, srv, r.score, r.events)
      ON CONFLICT (source, bucket, server) DO UPDATE SET score = sc.score + excluded.score, events = sc.events + excluded.events;
    PERFORM pg_advisory_xact_lock(hashtext('sshwarden.fleet-rule:' || r.source::text));
    SELECT sum(sc.score), string_agg(sc.server || ' ' || trim_scale(round(sc.score::numeric, 1)), ', ' ORDER BY sc.server) INTO total, servers FROM (
      SELECT server, sum(score) AS score FROM sshwarden.scores
       WHERE source = r.source AND bucket > b - greatest(1, p_window_seconds / bsec) GROUP BY server) sc;
    IF total < p_threshold THEN CONTINUE; END IF;
    PERFORM 1 FROM sshwarden.decisions d WHERE d.server = 'fleet' AND d.kind = 'ban' AND d.target = r.source AND d.until > now();
    IF FOUND THEN CONTINUE; END IF;
    IF sshwarden.ban_refusal(r.source) IS NOT NULL THEN CONTINUE; END IF;
    bans := bans || r.source;
    reasons := reasons || format('fleet score %s >= %s within %s min across servers (%s)', trim_scale(round(total::numeric, 1)), p_threshold, p_window_seconds / 60, servers);
  END LOOP;
  FOR i IN 1 .. coalesce(array_length(bans, 1), 0) LOOP
    INSERT INTO sshwarden.decisions (server, kind, target, until, reason, origin_id)
    VALUES ('fleet', 'ban', bans[i], now() + make_interval(secs => p_ban_seconds), reasons[i], format('rule:%s:%s', bans[i], b))
    ON CONFLICT DO NOTHING RETURNING seq INTO s;
    IF s IS NOT NULL THEN RETURN NEXT s; END IF;
    s := NULL;
  END LOOP;
END $$;

-- Publishing at 1,000 decisions a second (measured: bench/fleet-fanout.ts). Version 1 spent
-- 1.5-2 ms a row: the rate cap counted the server's bans of the last minute on every ban, and
-- the protection checks scanned every login and allow row. Now:
--  * the rate cap is a counter per server and minute (a fixed window instead of a sliding one:
--    at most `max_bans_per_minute` bans per server in each clock minute of the database);
--  * logins and allow entries have their own partial indexes;
--  * one notification per transaction, not per row (the payload is empty: readers read by seq).
CREATE TABLE sshwarden.ban_rate (
  server text NOT NULL REFERENCES sshwarden.servers(name),
  minute bigint NOT NULL,
  bans   integer NOT NULL,
  PRIMARY KEY (server, minute)
);
CREATE INDEX decisions_logins ON sshwarden.decisions USING gist (target inet_ops) WHERE kind = 'login';
CREATE INDEX decisions_allows ON sshwarden.decisions (server, target, seq) WHERE kind IN ('allow', 'unallow');

CREATE OR REPLACE FUNCTION sshwarden.notify_decision() RETURNS trigger LANGUAGE plpgsql
  SET search_path = sshwarden, pg_temp AS $$
BEGIN PERFORM pg_notify('sshwarden_decisions', ''); RETURN NEW; END $$;

CREATE OR REPLACE FUNCTION sshwarden.publish(p_kind text, p_target cidr, p_seconds double precision, p_reason text, p_evidence jsonb, p_origin_id text,
                                  OUT seq bigint, OUT refused text) LANGUAGE plpgsql SECURITY DEFINER
  SET search_path = sshwarden, pg_temp AS $$
DECLARE srv text := sshwarden.me();
DECLARE recent integer;
DECLARE m bigint := floor(extract(epoch FROM now()) / 60);
BEGIN
  IF p_kind NOT IN ('ban', 'unban', 'allow', 'unallow', 'login') THEN RAISE EXCEPTION 'unknown decision kind %', p_kind; END IF;
  SELECT d.seq INTO seq FROM sshwarden.decisions d WHERE d.server = srv AND d.origin_id = p_origin_id;
  IF FOUND THEN RETURN; END IF;
  IF p_kind = 'ban' THEN
    IF p_seconds IS NULL OR p_seconds <= 0 OR p_seconds > 31536000 THEN RAISE EXCEPTION 'ban duration out of range: %', p_seconds; END IF;
    refused := sshwarden.ban_refusal(p_target);
    IF refused IS NULL THEN
      INSERT INTO sshwarden.ban_rate AS r (server, minute, bans) VALUES (srv, m, 1)
        ON CONFLICT (server, minute) DO UPDATE SET bans = r.bans + 1 RETURNING r.bans INTO recent;
      IF recent > sshwarden.setting('max_bans_per_minute') THEN
        refused := format('server %s published %s bans in this minute (cap %s)', srv, recent - 1, sshwarden.setting('max_bans_per_minute'));
        UPDATE sshwarden.ban_rate SET bans = bans - 1 WHERE server = srv AND minute = m;
      END IF;
    END IF;
    IF refused IS NOT NULL THEN RETURN; END IF;
  END IF;
  INSERT INTO sshwarden.decisions (server, kind, target, until, reason, evidence, origin_id)
  VALUES (srv, p_kind, p_target, CASE WHEN p_seconds IS NULL THEN NULL ELSE now() + make_interval(secs => p_seconds) END,
          left(coalesce(p_reason, ''), 2000), coalesce(p_evidence, '[]'::jsonb), p_origin_id)
  RETURNING decisions.seq INTO seq;
END $$;
