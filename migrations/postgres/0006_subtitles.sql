-- Subtitle tracks of a video, as WebVTT text. They belong to one video and go with its row (a new
-- video, the queue moving on, the room deleted).
CREATE TABLE subtitles (
    id       BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,  -- never reused: a track's URL names one file
    video_id BIGINT NOT NULL REFERENCES videos (id) ON DELETE CASCADE,
    label    TEXT   NOT NULL,
    language TEXT,                               -- BCP 47 tag, when known
    added_by TEXT,                               -- client ID; NULL: found inside the video file
    vtt      TEXT   NOT NULL,
    added_at BIGINT NOT NULL
);
CREATE INDEX subtitles_by_video ON subtitles (video_id, id);
