-- Idempotency keys, as in migrations/sqlite: the first answer to each
-- write sent with an `Idempotency-Key` header, recorded in the same
-- transaction as the write. Keys expire 24 hours after their first use.

CREATE TABLE idempotency_keys (
    key         TEXT   COLLATE "C" PRIMARY KEY NOT NULL,
    method      TEXT   COLLATE "C" NOT NULL,
    path        TEXT   COLLATE "C" NOT NULL,
    fingerprint TEXT   COLLATE "C" NOT NULL,
    status      BIGINT NOT NULL CHECK (status BETWEEN 200 AND 499),
    body        TEXT   CHECK (body IS NULL OR (body::jsonb) IS NOT NULL),
    version     BIGINT,
    created_at  TEXT   COLLATE "C" NOT NULL
);

-- The purge deletes everything older than the time to live.
CREATE INDEX idempotency_keys_by_age ON idempotency_keys (created_at);
