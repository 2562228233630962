// "Play a link" in the Video card: a YouTube link or a direct http(s) media URL becomes the room's
// video for everyone ("Play"), or waits at the end of the room's queue ("Add to queue"). The server
// checks the link and says why when it refuses; the hint under the field only tells the user what the link looks like while they type.

import { api } from './http.js';
import { linkKind } from './links.js';

const HINTS = {
  youtube: 'A YouTube video: it plays in YouTube’s own player, in step like any other.',
  direct: 'A direct link: it must point at a video file every viewer can reach.',
};

export function wireLinkForm(roomApi) {
  const $ = (id) => document.getElementById(id);
  const form = $('link-form');
  const input = $('link-url');
  const buttons = [$('link-submit'), $('link-queue')].filter(Boolean);
  const error = $('link-error');
  const hint = $('link-hint');

  input.addEventListener('input', () => {
    error.textContent = '';
    hint.textContent = HINTS[linkKind(input.value)] ?? '';
  });

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const url = input.value.trim();
    if (!url) {
      error.textContent = 'Paste a link first.';
      input.focus();
      return;
    }
    // Enter in the field submits with the first button, "Play".
    const toQueue = event.submitter?.id === 'link-queue';
    for (const button of buttons) button.disabled = true;
    error.textContent = '';
    try {
      // Everybody (us included) hears of the new video, or the longer queue, over the socket.
      await api('POST', `${roomApi}/${toQueue ? 'queue' : 'video/link'}`, { url });
      input.value = '';
      hint.textContent = '';
    } catch (failure) {
      error.textContent = failure.message;
      input.focus();
    } finally {
      for (const button of buttons) button.disabled = false;
    }
  });
}
