-- What probing an uploaded file found (NULL when unknown: links, or no ffmpeg), and its poster
-- frame's file name in the media folder.
ALTER TABLE videos ADD COLUMN duration REAL;     -- seconds
ALTER TABLE videos ADD COLUMN width INTEGER;
ALTER TABLE videos ADD COLUMN height INTEGER;
ALTER TABLE videos ADD COLUMN codecs TEXT;       -- ffprobe's codec names, video first: `h264,aac`
ALTER TABLE videos ADD COLUMN poster TEXT;       -- `<number>.jpg`
