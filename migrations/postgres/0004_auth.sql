-- Accounts, as in migrations/sqlite: a password (argon2id, PHC string) per
-- user, NULL for users who cannot sign in; and the refresh tokens handed
-- out at sign-in.

ALTER TABLE users ADD COLUMN password_hash TEXT COLLATE "C";

-- One row per refresh token ever issued, stored as the hex SHA-256 of the
-- token (the token itself is only ever in the client's cookie). A sign-in
-- starts a family; each refresh marks its token rotated and adds the next
-- one to the same family. Presenting a rotated token again (reuse, as
-- after a theft) revokes the whole family.
CREATE TABLE refresh_tokens (
    token_hash TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    family_id  TEXT COLLATE "C" NOT NULL,
    user_id    TEXT COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TEXT COLLATE "C" NOT NULL,
    expires_at TEXT COLLATE "C" NOT NULL,
    -- When it was exchanged for its successor; NULL while current.
    rotated_at TEXT COLLATE "C",
    -- When its family was revoked (reuse, sign-out); NULL while valid.
    revoked_at TEXT COLLATE "C"
);

CREATE INDEX refresh_tokens_by_family ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_by_user ON refresh_tokens (user_id);

-- Idempotency keys become per caller: two users sending the same key are
-- two requests. Keys recorded before accounts existed belonged to nobody
-- and are dropped (they only ever served retries within a day).
DROP TABLE idempotency_keys;

CREATE TABLE idempotency_keys (
    -- The user who sent the key.
    owner       TEXT   COLLATE "C" NOT NULL,
    -- As the client sent it: 1 to 255 visible ASCII characters.
    key         TEXT   COLLATE "C" NOT NULL,
    method      TEXT   COLLATE "C" NOT NULL,
    path        TEXT   COLLATE "C" NOT NULL,
    -- Hex SHA-256 of the method, the path, the If-Match condition and the
    -- canonical JSON body: a replay must match it exactly.
    fingerprint TEXT   COLLATE "C" NOT NULL,
    status      BIGINT NOT NULL CHECK (status BETWEEN 200 AND 499),
    body        TEXT   CHECK (body IS NULL OR (body::jsonb) IS NOT NULL),
    version     BIGINT,
    created_at  TEXT   COLLATE "C" NOT NULL,
    PRIMARY KEY (owner, key)
);

-- The purge deletes everything older than the time to live.
CREATE INDEX idempotency_keys_by_age ON idempotency_keys (created_at);
