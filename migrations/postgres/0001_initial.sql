-- Rooms, their videos, chat, saved spots, display names, visits and counters: the schema of
-- ../sqlite/0001_initial.sql in PostgreSQL's dialect. Times are BIGINT ms since the Unix epoch.
CREATE TABLE videos (
    id            BIGINT  PRIMARY KEY,           -- from the upload counter; a file is `<id>.<ext>`
    room_code     TEXT    NOT NULL,
    source        TEXT    NOT NULL CHECK (source IN ('file', 'url', 'youtube')),
    file_name     TEXT    UNIQUE,                -- uploads only
    url           TEXT,                          -- links only: the media URL or the YouTube ID
    original_name TEXT    NOT NULL,
    size          BIGINT  NOT NULL,
    mime          TEXT    NOT NULL,
    created_at    BIGINT  NOT NULL
);

CREATE TABLE rooms (
    code           TEXT    PRIMARY KEY,
    name           TEXT,
    created_at     BIGINT  NOT NULL,
    last_active_at BIGINT  NOT NULL,             -- last time someone was watching
    video_id       BIGINT  REFERENCES videos (id) ON DELETE SET NULL,
    playing        BOOLEAN NOT NULL DEFAULT FALSE,
    position       DOUBLE PRECISION NOT NULL DEFAULT 0,
    rate           DOUBLE PRECISION NOT NULL DEFAULT 1,
    state_at       BIGINT  NOT NULL
);

CREATE TABLE spots (
    room_code TEXT    NOT NULL REFERENCES rooms (code) ON DELETE CASCADE,
    client_id TEXT    NOT NULL,
    video_id  BIGINT  NOT NULL REFERENCES videos (id) ON DELETE CASCADE,
    position  DOUBLE PRECISION NOT NULL,
    saved_at  BIGINT  NOT NULL,
    PRIMARY KEY (room_code, client_id, video_id)
);

CREATE TABLE messages (
    id        BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    room_code TEXT    NOT NULL REFERENCES rooms (code) ON DELETE CASCADE,
    client_id TEXT    NOT NULL,
    name      TEXT,                              -- the author's name when it was sent
    text      TEXT    NOT NULL,
    sent_at   BIGINT  NOT NULL
);
CREATE INDEX messages_by_room ON messages (room_code, id);

CREATE TABLE clients (
    id         TEXT   PRIMARY KEY,
    name       TEXT,
    updated_at BIGINT NOT NULL
);

CREATE TABLE visits (
    client_id  TEXT   NOT NULL,
    room_code  TEXT   NOT NULL REFERENCES rooms (code) ON DELETE CASCADE,
    visited_at BIGINT NOT NULL,
    PRIMARY KEY (client_id, room_code)
);

CREATE TABLE counters (
    name  TEXT   PRIMARY KEY,
    value BIGINT NOT NULL
);

INSERT INTO counters (name, value) VALUES ('upload', 0);
