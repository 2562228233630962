-- Who may drive a room: its owner and its settings; who may come in (a password, the members who
-- gave it) and who was kicked out (for ten minutes).
ALTER TABLE rooms ADD COLUMN owner_id TEXT;
ALTER TABLE rooms ADD COLUMN controls TEXT NOT NULL DEFAULT 'everyone'
    CHECK (controls IN ('everyone', 'host'));
ALTER TABLE rooms ADD COLUMN max_viewers INTEGER;
ALTER TABLE rooms ADD COLUMN password_hash TEXT;  -- Argon2id PHC string; NULL: no password

CREATE TABLE members (
    room_code TEXT NOT NULL REFERENCES rooms (code) ON DELETE CASCADE,
    client_id TEXT NOT NULL,
    PRIMARY KEY (room_code, client_id)
);

CREATE TABLE kicks (
    room_code TEXT    NOT NULL REFERENCES rooms (code) ON DELETE CASCADE,
    client_id TEXT    NOT NULL,
    address   TEXT,                              -- where the client was: kept out too (password rooms)
    until     INTEGER NOT NULL,                  -- ms since the Unix epoch
    PRIMARY KEY (room_code, client_id)
);
