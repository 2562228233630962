-- Who may drive a room: its owner, its settings, and who was kicked out (for ten minutes).
ALTER TABLE rooms ADD COLUMN owner_id TEXT;
ALTER TABLE rooms ADD COLUMN controls TEXT NOT NULL DEFAULT 'everyone'
    CHECK (controls IN ('everyone', 'host'));
ALTER TABLE rooms ADD COLUMN max_viewers INTEGER;

CREATE TABLE kicks (
    room_code TEXT    NOT NULL REFERENCES rooms (code) ON DELETE CASCADE,
    client_id TEXT    NOT NULL,
    until     INTEGER NOT NULL,                  -- ms since the Unix epoch
    PRIMARY KEY (room_code, client_id)
);
