-- Accounts: a password (argon2id, PHC string) per user, NULL for users who
-- cannot sign in; and the refresh tokens handed out at sign-in.

ALTER TABLE users ADD COLUMN password_hash TEXT;

-- One row per refresh token ever issued, stored as the hex SHA-256 of the
-- token (the token itself is only ever in the client's cookie). A sign-in
-- starts a family; each refresh marks its token rotated and adds the next
-- one to the same family. Presenting a rotated token again (reuse, as
-- after a theft) revokes the whole family.
CREATE TABLE refresh_tokens (
    token_hash TEXT PRIMARY KEY NOT NULL,
    family_id  TEXT NOT NULL,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    -- When it was exchanged for its successor; NULL while current.
    rotated_at TEXT,
    -- When its family was revoked (reuse, sign-out); NULL while valid.
    revoked_at TEXT
);

CREATE INDEX refresh_tokens_by_family ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_by_user ON refresh_tokens (user_id);

-- Idempotency keys become per caller: two users sending the same key are
-- two requests. Keys recorded before accounts existed belonged to nobody
-- and are dropped (they only ever served retries within a day).
DROP TABLE idempotency_keys;

CREATE TABLE idempotency_keys (
    -- The user who sent the key.
    owner       TEXT    NOT NULL,
    -- As the client sent it: 1 to 255 visible ASCII characters.
    key         TEXT    NOT NULL,
    method      TEXT    NOT NULL,
    path        TEXT    NOT NULL,
    -- Hex SHA-256 of the method, the path, the If-Match condition and the
    -- canonical JSON body: a replay must match it exactly.
    fingerprint TEXT    NOT NULL,
    status      INTEGER NOT NULL CHECK (status BETWEEN 200 AND 499),
    body        TEXT,
    version     INTEGER,
    created_at  TEXT    NOT NULL,
    PRIMARY KEY (owner, key)
);

CREATE INDEX idempotency_keys_by_age ON idempotency_keys (created_at);
