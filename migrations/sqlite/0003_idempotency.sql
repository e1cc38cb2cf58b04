-- Idempotency keys: the first answer to each write sent with an
-- `Idempotency-Key` header, recorded in the same transaction as the write
-- itself, so a crash cannot keep one without the other. A replay of the
-- same request returns this answer and changes nothing; the same key with a
-- different request is refused. Keys expire 24 hours after their first
-- use: expired rows are ignored and purged by later keyed writes.

CREATE TABLE idempotency_keys (
    -- As the client sent it: 1 to 255 visible ASCII characters. One key
    -- names one request, whatever the endpoint.
    key         TEXT    PRIMARY KEY NOT NULL,
    -- The request it was first used for, for diagnostics.
    method      TEXT    NOT NULL,
    path        TEXT    NOT NULL,
    -- Hex SHA-256 of the method, the path, the If-Match condition and the
    -- canonical JSON body: a replay must match it exactly.
    fingerprint TEXT    NOT NULL,
    -- The answer: status, JSON body (NULL for 204) and the version its
    -- ETag header names (NULL for none).
    status      INTEGER NOT NULL CHECK (status BETWEEN 200 AND 499),
    body        TEXT    CHECK (body IS NULL OR json_valid(body)),
    version     INTEGER,
    -- When the key was first used (UTC, the fixed RFC 3339 form).
    created_at  TEXT    NOT NULL
);

-- The purge deletes everything older than the time to live.
CREATE INDEX idempotency_keys_by_age ON idempotency_keys (created_at);
