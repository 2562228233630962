-- Resumable (tus) uploads not finished yet. Their bytes are in the media folder's hidden
-- `.tus-<id>.part` files; `received` is how many of those bytes count (a crash mid-write may leave
-- more, cut off before the next write). A row goes when its upload completes, is terminated,
-- expires, or its room is deleted.
CREATE TABLE uploads (
    id            TEXT    PRIMARY KEY,           -- unguessable: it is the upload's URL
    room_code     TEXT    NOT NULL REFERENCES rooms (code) ON DELETE CASCADE,
    client_id     TEXT    NOT NULL,              -- the client that created it, the only one that may use it
    length        BIGINT  NOT NULL,              -- Upload-Length, bytes
    received      BIGINT  NOT NULL DEFAULT 0,    -- Upload-Offset, bytes
    original_name TEXT    NOT NULL,
    queue         BOOLEAN NOT NULL,              -- goes to the end of the queue when complete
    expires_at    BIGINT  NOT NULL               -- server ms
);
CREATE INDEX uploads_by_expiry ON uploads (expires_at);
CREATE INDEX uploads_by_client ON uploads (client_id);
