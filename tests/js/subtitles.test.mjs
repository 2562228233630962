import { test } from 'node:test';
import assert from 'node:assert/strict';
import { languageFromName, trackChanges } from '../../assets/js/subtitles.js';

test('languageFromName reads a tag at the end of the stem', () => {
  assert.equal(languageFromName('Movie.en.srt'), 'en');
  assert.equal(languageFromName('film.pt-BR.vtt'), 'pt-BR');
  assert.equal(languageFromName('show.S01E02.fre.SRT'), 'fre');
  assert.equal(languageFromName('Movie.srt'), null);
  assert.equal(languageFromName('Movie.English.srt'), null);
  assert.equal(languageFromName('Movie.2024.srt'), null);
});

test('trackChanges removes what the room dropped and adds what is new, in its order', () => {
  const listed = [{ id: 3 }, { id: 5 }, { id: 7 }];
  assert.deepEqual(trackChanges(new Set([1, 3]), listed), { remove: [1], add: [{ id: 5 }, { id: 7 }] });
  assert.deepEqual(trackChanges(new Set([3, 5, 7]), listed), { remove: [], add: [] });
  assert.deepEqual(trackChanges(new Set([3, 5]), []), { remove: [3, 5], add: [] });
});
