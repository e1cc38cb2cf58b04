-- The event log (a transactional outbox), as in migrations/sqlite: every
-- mutation appends its change event here in the same transaction as the
-- change. `seq` is the order of truth; an identity never reuses a seq.
-- Transactions of several instances run at once here, so the first append
-- of a transaction takes an advisory lock held until it ends, before its
-- insert draws a seq: seq order is commit order.

CREATE TABLE events (
    seq       BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- USER_CREATED, USER_UPDATED, USER_DELETED, POST_CREATED, ...
    type      TEXT   COLLATE "C" NOT NULL,
    -- The topic carrying every event of the family: 'users' or 'posts'.
    topic     TEXT   COLLATE "C" NOT NULL CHECK (topic IN ('users', 'posts')),
    -- The id of the user or post the event is about.
    entity_id TEXT   COLLATE "C" NOT NULL,
    -- The user who made the change, when known.
    actor     TEXT   COLLATE "C",
    -- The entity as the REST API returns it, or {"id": ...} for a deletion
    -- (JSON text, checked by casting it).
    data      TEXT   NOT NULL CHECK ((data::jsonb) IS NOT NULL),
    ts        TEXT   COLLATE "C" NOT NULL
);

-- Readers subscribed to single entities (`user:<id>`, `post:<id>`).
CREATE INDEX events_by_entity ON events (entity_id, seq);

-- One row about the log itself: `epoch` is made when the database is
-- created (clients holding a seq of another epoch must refetch); `floor`
-- is the lowest seq still retained.
CREATE TABLE log_meta (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    epoch TEXT    COLLATE "C" NOT NULL,
    floor BIGINT  NOT NULL CHECK (floor >= 1)
);

INSERT INTO log_meta (id, epoch, floor) VALUES (1, replace(gen_random_uuid()::text, '-', ''), 1);
