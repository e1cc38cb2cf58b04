-- The event log (a transactional outbox): every mutation appends its change
-- event here in the same transaction as the change. `seq` is the order of
-- truth; AUTOINCREMENT never reuses a seq, even after pruning. A write
-- transaction takes SQLite's write lock up front (BEGIN IMMEDIATE), so
-- seq order is commit order.

CREATE TABLE events (
    seq       INTEGER PRIMARY KEY AUTOINCREMENT,
    -- USER_CREATED, USER_UPDATED, USER_DELETED, POST_CREATED, ...
    type      TEXT    NOT NULL,
    -- The topic carrying every event of the family: 'users' or 'posts'.
    topic     TEXT    NOT NULL CHECK (topic IN ('users', 'posts')),
    -- The id of the user or post the event is about.
    entity_id TEXT    NOT NULL,
    -- The user who made the change, when known.
    actor     TEXT,
    -- The entity as the REST API returns it, or {"id": ...} for a deletion.
    data      TEXT    NOT NULL CHECK (json_valid(data)),
    ts        TEXT    NOT NULL
);

-- Readers subscribed to single entities (`user:<id>`, `post:<id>`).
CREATE INDEX events_by_entity ON events (entity_id, seq);

-- One row about the log itself. `epoch` is made when the database is
-- created: a new database is a new log, and clients holding a seq of
-- another epoch must refetch. `floor` is the lowest seq still retained
-- (pruning raises it): a client whose next seq is below it must refetch.
CREATE TABLE log_meta (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    epoch TEXT    NOT NULL,
    floor INTEGER NOT NULL CHECK (floor >= 1)
);

INSERT INTO log_meta (id, epoch, floor) VALUES (1, lower(hex(randomblob(16))), 1);
