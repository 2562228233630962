-- Videos waiting their turn in a room. A queued video is a row of `videos` (its upload registered and
-- kept like the current one's) that the room does not point at yet.
CREATE TABLE queue (
    video_id      BIGINT PRIMARY KEY REFERENCES videos (id) ON DELETE CASCADE,
    room_code     TEXT   NOT NULL REFERENCES rooms (code) ON DELETE CASCADE,
    place         BIGINT NOT NULL,               -- order in the room's queue, lowest first
    added_by      TEXT   NOT NULL,               -- client ID
    added_by_name TEXT,                          -- their name when they added it
    added_at      BIGINT NOT NULL
);
CREATE INDEX queue_by_room ON queue (room_code, place);
