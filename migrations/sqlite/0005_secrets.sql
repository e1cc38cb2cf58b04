-- Secrets the server makes for itself once and every instance shares: the
-- key that signs access tokens when no --jwt-secret is given, so a restart
-- does not sign everyone out and several instances accept each other's
-- tokens. Written once (the first instance to start wins), never changed.
CREATE TABLE server_secrets (
    name  TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
);
