import { test } from 'node:test';
import assert from 'node:assert/strict';
import { youtubeId, linkKind } from '../../assets/js/links.js';

test('youtubeId: every common form of a YouTube link (the same list the server accepts)', () => {
  for (const link of [
    'https://www.youtube.com/watch?v=dQw4w9WgXcQ',
    'https://youtube.com/watch?feature=share&v=dQw4w9WgXcQ&t=42',
    'https://m.youtube.com/watch?v=dQw4w9WgXcQ',
    'http://youtu.be/dQw4w9WgXcQ?si=abc',
    'https://www.youtube.com/shorts/dQw4w9WgXcQ',
    'https://www.youtube.com/embed/dQw4w9WgXcQ?start=3',
    'https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ',
    'https://music.youtube.com/watch?v=dQw4w9WgXcQ',
    'https://www.youtube.com/live/dQw4w9WgXcQ',
    '  https://YOUTU.BE/dQw4w9WgXcQ  ',
  ]) {
    assert.equal(youtubeId(link), 'dQw4w9WgXcQ', link);
  }
});

test('youtubeId: links without a video, other sites and other schemes give null', () => {
  for (const link of [
    'https://www.youtube.com/',
    'https://www.youtube.com/watch',
    'https://www.youtube.com/watch?v=short',
    'https://youtu.be/',
    'https://www.youtube.com/channel/UCabcdefghijk',
    'https://www.youtube.com/watch?v=<script>xx',
    'https://example.org/watch?v=dQw4w9WgXcQ',
    'https://notyoutube.com/embed/dQw4w9WgXcQ',
    'javascript:alert(1)',
    'ftp://youtu.be/dQw4w9WgXcQ',
    'not a link',
    '',
    null,
  ]) {
    assert.equal(youtubeId(link), null, String(link));
  }
});

test('youtubeId: the room state URL of a YouTube video reads back to its ID', () => {
  assert.equal(youtubeId('https://www.youtube.com/watch?v=aBc_-123XyZ'), 'aBc_-123XyZ');
});

test('linkKind: a hint for what was pasted', () => {
  assert.equal(linkKind('https://youtu.be/dQw4w9WgXcQ'), 'youtube');
  assert.equal(linkKind('https://media.example.org/films/a%20b.mp4?token=1'), 'direct');
  assert.equal(linkKind('http://127.0.0.1:8080/v.webm'), 'direct');
  assert.equal(linkKind('https://www.youtube.com/channel/UCabcdefghijk'), null);
  assert.equal(linkKind('javascript:alert(1)'), null);
  assert.equal(linkKind('data:video/mp4;base64,AAAA'), null);
  assert.equal(linkKind('/media/1.mp4'), null);
  assert.equal(linkKind('   '), null);
});
