// Reading the links people paste into "Play a link". The server decides what it accepts (and says why
// when it refuses); the page reads links too, to tell the user what a link is while they type and to
// find the video ID in a YouTube link the room plays. Pure: tested in tests/js/links.test.mjs.

/** Hosts whose links name a YouTube video (after a leading "www." is dropped), as on the server. */
const YOUTUBE_HOSTS = new Set(['youtube.com', 'm.youtube.com', 'music.youtube.com', 'youtube-nocookie.com']);
/** Path forms that carry the ID as their second segment: /shorts/ID, /embed/ID, ... */
const ID_IN_PATH = new Set(['shorts', 'embed', 'live', 'v']);
const VIDEO_ID = /^[A-Za-z0-9_-]{11}$/;

function parse(link) {
  try {
    const url = new URL(String(link ?? '').trim());
    return url.protocol === 'http:' || url.protocol === 'https:' ? url : null;
  } catch {
    return null;
  }
}

function isYouTubeHost(url) {
  const host = url.hostname.toLowerCase().replace(/^www\./, '');
  return host === 'youtu.be' || YOUTUBE_HOSTS.has(host);
}

/**
 * The video ID in a YouTube link (youtube.com/watch?v=, youtu.be/, /shorts/, /embed/, /live/, /v/),
 * or null when the text is not such a link.
 */
export function youtubeId(link) {
  const url = parse(link);
  if (!url || !isYouTubeHost(url)) return null;
  const host = url.hostname.toLowerCase().replace(/^www\./, '');
  const segments = url.pathname.split('/').filter(Boolean);
  let id = null;
  if (host === 'youtu.be') id = segments[0];
  else if (segments[0] === 'watch') id = url.searchParams.get('v');
  else if (ID_IN_PATH.has(segments[0])) id = segments[1];
  return id && VIDEO_ID.test(id) ? id : null;
}

/**
 * What a pasted link looks like to us: 'youtube' (names a video), 'direct' (an http(s) link to some
 * other site, hopefully a media file), or null (empty, not http(s), or a YouTube page without a video).
 * Only a hint: the server has the last word.
 */
export function linkKind(link) {
  const url = parse(link);
  if (!url) return null;
  if (isYouTubeHost(url)) return youtubeId(link) ? 'youtube' : null;
  return 'direct';
}
