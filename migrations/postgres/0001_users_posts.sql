-- Users and posts, as in migrations/sqlite: timestamps are UTC text in one
-- fixed RFC 3339 form (microseconds, 'Z'), so text order is time order;
-- ids are UUID text. Every text column compares by bytes (COLLATE "C"),
-- as SQLite's BINARY does, so both engines sort and search alike;
-- integers read as 64-bit are BIGINT.

CREATE TABLE users (
    id            TEXT    COLLATE "C" PRIMARY KEY NOT NULL,
    name          TEXT    COLLATE "C" NOT NULL,
    email         TEXT    COLLATE "C" NOT NULL UNIQUE,
    role          TEXT    COLLATE "C" NOT NULL CHECK (role IN ('admin', 'moderator', 'user')),
    avatar_url    TEXT    COLLATE "C",
    last_active   TEXT    COLLATE "C" NOT NULL,
    theme         TEXT    COLLATE "C" NOT NULL DEFAULT 'system' CHECK (theme IN ('light', 'dark', 'system')),
    notifications BOOLEAN NOT NULL DEFAULT TRUE,
    language      TEXT    COLLATE "C" NOT NULL DEFAULT 'en',
    created_at    TEXT    COLLATE "C" NOT NULL,
    updated_at    TEXT    COLLATE "C" NOT NULL,
    version       BIGINT  NOT NULL DEFAULT 1
);

-- One index per sortable column, with id as the tie-breaker the lists use.
CREATE INDEX users_by_created ON users (created_at, id);
CREATE INDEX users_by_name ON users (name, id);
CREATE INDEX users_by_last_active ON users (last_active, id);
CREATE INDEX users_by_role ON users (role, created_at, id);

CREATE TABLE posts (
    id         TEXT   COLLATE "C" PRIMARY KEY NOT NULL,
    title      TEXT   COLLATE "C" NOT NULL,
    content    TEXT   COLLATE "C" NOT NULL,
    author_id  TEXT   COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TEXT   COLLATE "C" NOT NULL,
    updated_at TEXT   COLLATE "C" NOT NULL,
    version    BIGINT NOT NULL DEFAULT 1
);

-- The keyset feed walks (created_at, id) downwards; by author likewise.
CREATE INDEX posts_feed ON posts (created_at DESC, id DESC);
CREATE INDEX posts_by_author ON posts (author_id, created_at DESC, id DESC);
