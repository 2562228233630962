// Subtitle tracks of the room's video. Each track the room lists becomes a VideoJS remote text track,
// so the player's captions menu lets every viewer pick one, or none, for themselves (nothing of that
// choice goes to the room). The "Add subtitles" button posts a .srt or .vtt file; the room then tells
// every page, this one included, through the socket's `subtitles` message.

import { apiError } from './http.js';
import { toast } from './toast.js';

/** A language tag at the end of a file name's stem ("Movie.en.srt" -> "en", "film.pt-BR.vtt" -> "pt-BR"). */
export function languageFromName(name) {
  const parts = String(name).replace(/\.(srt|vtt)$/i, '').split('.');
  if (parts.length < 2) return null;
  const last = parts[parts.length - 1];
  return /^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$/.test(last) ? last : null;
}

/**
 * Which tracks to remove (ids we show that the room no longer lists) and which to add (listed, not
 * shown), keeping the order the room lists them in.
 */
export function trackChanges(shownIds, listed) {
  const wanted = new Set(listed.map((track) => track.id));
  return {
    remove: [...shownIds].filter((id) => !wanted.has(id)),
    add: listed.filter((track) => !shownIds.has(track.id)),
  };
}

/**
 * `player`: the room's MediaPlayer (players.js); tracks go to its VideoJS adapter, the one that plays
 * uploads and links (YouTube videos take no tracks of ours: the server refuses them).
 */
export function setupSubtitles({ roomApi, player, button, input }) {
  const shown = new Map(); // track id -> the HTMLTrackElement VideoJS made for it
  const vjs = () => player.adapters.html5?.vjs;

  function show(tracks) {
    const videojs = vjs();
    if (!videojs) return;
    const { remove, add } = trackChanges(new Set(shown.keys()), tracks ?? []);
    for (const id of remove) {
      videojs.removeRemoteTextTrack(shown.get(id));
      shown.delete(id);
    }
    for (const track of add) {
      // manualCleanup: VideoJS would otherwise drop the track when the next source starts loading,
      // which may come after the room listed the new video's tracks. The room's list is what counts.
      const element = videojs.addRemoteTextTrack(
        { kind: 'subtitles', src: track.url, srclang: track.language || '', label: track.label, default: false },
        true,
      );
      shown.set(track.id, element);
    }
  }

  async function upload(file) {
    if (!file) return;
    const params = new URLSearchParams({ name: file.name });
    const language = languageFromName(file.name);
    if (language) params.set('language', language);
    button.disabled = true;
    try {
      let response;
      try {
        response = await fetch(`${roomApi}/subtitles?${params}`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/octet-stream' },
          body: file,
        });
      } catch {
        throw apiError(0, '', 'Cannot reach the server');
      }
      const text = await response.text();
      if (!response.ok) throw apiError(response.status, text);
      const track = JSON.parse(text);
      toast(`Subtitles “${track.label}” added: pick them in the player's captions menu.`);
    } catch (error) {
      toast(error.message, 'error');
    } finally {
      button.disabled = false;
      input.value = '';
    }
  }

  button.addEventListener('click', () => input.click());
  input.addEventListener('change', () => upload(input.files[0]));
  return { show };
}
