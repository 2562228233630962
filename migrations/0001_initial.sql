-- Rooms, their videos, saved spots, display names and counters.
CREATE TABLE videos (
    id            INTEGER PRIMARY KEY,          -- the upload number: file `<id>.<ext>`
    room_code     TEXT    NOT NULL,
    file_name     TEXT    NOT NULL UNIQUE,
    original_name TEXT    NOT NULL,
    size          INTEGER NOT NULL,
    mime          TEXT    NOT NULL,
    created_at    INTEGER NOT NULL              -- ms since the Unix epoch
);

CREATE TABLE rooms (
    code           TEXT    PRIMARY KEY,
    name           TEXT,
    created_at     INTEGER NOT NULL,
    last_active_at INTEGER NOT NULL,
    video_id       INTEGER REFERENCES videos (id) ON DELETE SET NULL,
    playing        INTEGER NOT NULL DEFAULT 0,
    position       REAL    NOT NULL DEFAULT 0,
    rate           REAL    NOT NULL DEFAULT 1,
    state_at       INTEGER NOT NULL
);

CREATE TABLE spots (
    room_code TEXT    NOT NULL REFERENCES rooms (code) ON DELETE CASCADE,
    client_id TEXT    NOT NULL,
    video_id  INTEGER NOT NULL REFERENCES videos (id) ON DELETE CASCADE,
    position  REAL    NOT NULL,
    saved_at  INTEGER NOT NULL,
    PRIMARY KEY (room_code, client_id, video_id)
);

CREATE TABLE clients (
    id         TEXT PRIMARY KEY,
    name       TEXT,
    updated_at INTEGER NOT NULL
);

CREATE TABLE counters (
    name  TEXT    PRIMARY KEY,
    value INTEGER NOT NULL
);

INSERT INTO counters (name, value) VALUES ('upload', 0);
