-- Users and posts. Timestamps are UTC text in one fixed RFC 3339 form
-- (microseconds, 'Z'), so text order is time order; ids are UUID text.

CREATE TABLE users (
    id            TEXT    PRIMARY KEY NOT NULL,
    name          TEXT    NOT NULL,
    email         TEXT    NOT NULL UNIQUE,
    role          TEXT    NOT NULL CHECK (role IN ('admin', 'moderator', 'user')),
    avatar_url    TEXT,
    last_active   TEXT    NOT NULL,
    theme         TEXT    NOT NULL DEFAULT 'system' CHECK (theme IN ('light', 'dark', 'system')),
    notifications INTEGER NOT NULL DEFAULT 1 CHECK (notifications IN (0, 1)),
    language      TEXT    NOT NULL DEFAULT 'en',
    created_at    TEXT    NOT NULL,
    updated_at    TEXT    NOT NULL,
    version       INTEGER NOT NULL DEFAULT 1
);

-- One index per sortable column, with id as the tie-breaker the lists use.
CREATE INDEX users_by_created ON users (created_at, id);
CREATE INDEX users_by_name ON users (name, id);
CREATE INDEX users_by_last_active ON users (last_active, id);
CREATE INDEX users_by_role ON users (role, created_at, id);

CREATE TABLE posts (
    id         TEXT    PRIMARY KEY NOT NULL,
    title      TEXT    NOT NULL,
    content    TEXT    NOT NULL,
    author_id  TEXT    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TEXT    NOT NULL,
    updated_at TEXT    NOT NULL,
    version    INTEGER NOT NULL DEFAULT 1
);

-- The keyset feed walks (created_at, id) downwards; by author likewise.
CREATE INDEX posts_feed ON posts (created_at DESC, id DESC);
CREATE INDEX posts_by_author ON posts (author_id, created_at DESC, id DESC);
