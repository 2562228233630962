-- Rooms, their videos, chat, saved spots, display names, visits and counters.
CREATE TABLE rooms (
    code           TEXT    PRIMARY KEY,
    name           TEXT,
    created_at     INTEGER NOT NULL,             -- ms since the Unix epoch, as every time here
    last_active_at INTEGER NOT NULL,             -- last time someone was watching
    video_id       INTEGER REFERENCES videos (id) ON DELETE SET NULL,
    playing        INTEGER NOT NULL DEFAULT 0,
    position       REAL    NOT NULL DEFAULT 0,
    rate           REAL    NOT NULL DEFAULT 1,
    state_at       INTEGER NOT NULL
);

CREATE TABLE videos (
    id            INTEGER PRIMARY KEY,           -- from the upload counter; a file is `<id>.<ext>`
    room_code     TEXT    NOT NULL,
    source        TEXT    NOT NULL CHECK (source IN ('file', 'url', 'youtube')),
    file_name     TEXT    UNIQUE,                -- uploads only
    url           TEXT,                          -- links only: the media URL or the YouTube ID
    original_name TEXT    NOT NULL,
    size          INTEGER NOT NULL,
    mime          TEXT    NOT NULL,
    created_at    INTEGER NOT NULL
);

CREATE TABLE spots (
    room_code TEXT    NOT NULL REFERENCES rooms (code) ON DELETE CASCADE,
    client_id TEXT    NOT NULL,
    video_id  INTEGER NOT NULL REFERENCES videos (id) ON DELETE CASCADE,
    position  REAL    NOT NULL,
    saved_at  INTEGER NOT NULL,
    PRIMARY KEY (room_code, client_id, video_id)
);

CREATE TABLE messages (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    room_code TEXT    NOT NULL REFERENCES rooms (code) ON DELETE CASCADE,
    client_id TEXT    NOT NULL,
    name      TEXT,                              -- the author's name when it was sent
    text      TEXT    NOT NULL,
    sent_at   INTEGER NOT NULL
);
CREATE INDEX messages_by_room ON messages (room_code, id);

CREATE TABLE clients (
    id         TEXT PRIMARY KEY,
    name       TEXT,
    updated_at INTEGER NOT NULL
);

CREATE TABLE visits (
    client_id  TEXT    NOT NULL,
    room_code  TEXT    NOT NULL REFERENCES rooms (code) ON DELETE CASCADE,
    visited_at INTEGER NOT NULL,
    PRIMARY KEY (client_id, room_code)
);

CREATE TABLE counters (
    name  TEXT    PRIMARY KEY,
    value INTEGER NOT NULL
);

INSERT INTO counters (name, value) VALUES ('upload', 0);
