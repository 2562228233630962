// The chat panel beside the video. Messages come over the room's socket (`history` on every connect,
// then `chat` one by one); older ones are fetched page by page when the reader scrolls up. Notices
// (joins, leaves, host changes, new videos) are local lines mixed in by time and never stored.
//
// Every piece of user text (message, name) goes into the page with textContent: a message reading
// "<img onerror=...>" shows exactly that.
//
// ChatLog is the pure part (which messages, in which order; tests/js/chat.test.mjs); ChatPanel draws it.

import { clockTime, fullDateTime, dayLabel, sameDay } from './dates.js';
import { displayName } from './identity.js';

/** The server's limit, in characters after trimming. */
export const MAX_CHARS = 2000;
const PAGE_SIZE = 50;
/** Closer than this to the bottom counts as "reading the latest": new lines scroll into view. */
const STICK_PX = 48;
/** Older messages are fetched once the reader scrolls this close to the top. */
const LOAD_OLDER_PX = 150;
/** Messages by one author this close together share one name line. */
const GROUP_MS = 5 * 60_000;
/** The error codes the server answers a `chat` with. */
export const CHAT_ERRORS = new Set(['empty_message', 'message_too_long', 'rate_limited']);

/** Characters the way the server counts them: Unicode code points after trimming. */
export function messageLength(text) {
  return [...String(text ?? '').trim()].length;
}

/** The counter under the box: its text and a state for its colour ('ok', 'near' or 'over'). */
export function counter(length, max = MAX_CHARS) {
  const state = length > max ? 'over' : length >= max * 0.9 ? 'near' : 'ok';
  return { text: `${length.toLocaleString('en')} / ${max.toLocaleString('en')}`, state };
}

/** Whether entry `next` goes on under `prev` without its own name line. */
export function continues(prev, next) {
  return (
    prev?.kind === 'message' &&
    next.kind === 'message' &&
    prev.client_id === next.client_id &&
    prev.name === next.name &&
    next.at - prev.at < GROUP_MS &&
    sameDay(prev.at, next.at)
  );
}

/** A message's text as the server stores it: trimmed, control characters other than line feeds dropped. */
export function asStored(text) {
  // eslint-disable-next-line no-control-regex
  return String(text).trim().replace(/[\u0000-\u0009\u000B-\u001F\u007F-\u009F]/g, '');
}

function messageEntry(message) {
  return { kind: 'message', ...message, at: message.sent_at };
}

/** The messages and notices the panel shows, without any DOM. */
export class ChatLog {
  constructor() {
    this.messages = []; // oldest first
    this.ids = new Set();
    this.notices = [];
    this.hasMore = false;
  }

  /**
   * The history sent on (re)connect replaces the messages we had, older pages included: after a long
   * disconnect there could be a gap between those and the new history. Notices stay.
   */
  replace(messages, hasMore) {
    this.messages = messages.map(messageEntry).sort((a, b) => a.id - b.id);
    this.ids = new Set(this.messages.map((m) => m.id));
    this.hasMore = Boolean(hasMore);
  }

  /** A new message; null when we already have it. */
  add(message) {
    if (this.ids.has(message.id)) return null;
    const entry = messageEntry(message);
    this.ids.add(entry.id);
    this.messages.push(entry);
    return entry;
  }

  /** A page of older messages (`{messages, has_more}`); returns how many were new to us. */
  addOlder(page) {
    const fresh = page.messages.filter((m) => !this.ids.has(m.id)).map(messageEntry);
    for (const entry of fresh) this.ids.add(entry.id);
    this.messages = [...fresh, ...this.messages].sort((a, b) => a.id - b.id);
    // A page with nothing new cannot lead further back: stop rather than ask for it again.
    this.hasMore = Boolean(page.has_more) && fresh.length > 0;
    return fresh.length;
  }

  notice(text, at) {
    const entry = { kind: 'notice', text, at };
    this.notices.push(entry);
    return entry;
  }

  get oldestId() {
    return this.messages[0]?.id ?? null;
  }

  /** Messages and notices by time; a message before a notice of the same millisecond. */
  entries() {
    const out = [];
    let n = 0;
    for (const message of this.messages) {
      while (n < this.notices.length && this.notices[n].at < message.at) out.push(this.notices[n++]);
      out.push(message);
    }
    return out.concat(this.notices.slice(n));
  }
}

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function timeNode(at) {
  const node = el('time', 'chat-time', clockTime(at));
  node.dateTime = new Date(at).toISOString();
  node.title = fullDateTime(at);
  return node;
}

export class ChatPanel {
  /**
   * `root`: the chat's <section> (see room.html). `send(message)` puts a frame on the socket and says
   * whether it could; `loadOlder(beforeId, limit)` fetches `{messages, has_more}`.
   */
  constructor(root, { send, loadOlder }) {
    this.send = send;
    this.loadOlder = loadOlder;
    this.log = new ChatLog();
    this.me = null;
    this.last = null; // the last entry drawn, for grouping and day headings
    this.unseen = 0;
    this.loading = false;
    this.pending = []; // texts sent and not yet echoed or refused, oldest first
    this.errorTimer = null;

    const find = (selector) => root.querySelector(selector);
    this.scroller = find('.chat-scroll');
    this.list = find('.chat-list');
    this.olderButton = find('.chat-older');
    this.start = find('.chat-start');
    this.empty = find('.chat-empty');
    this.newButton = find('.chat-new');
    this.form = find('.chat-form');
    this.input = find('.chat-input');
    this.count = find('.chat-count');
    this.error = find('.chat-error');

    this.stuck = true; // the reader is at the bottom, following the latest
    this.scroller.addEventListener('scroll', () => this.onScroll(), { passive: true });
    // The panel changes size (a phone turned, the window resized, the box growing): stay at the bottom.
    new ResizeObserver(() => {
      if (this.stuck) this.scroller.scrollTop = this.scroller.scrollHeight;
    }).observe(this.scroller);
    this.olderButton.addEventListener('click', () => this.fetchOlder());
    this.newButton.addEventListener('click', () => {
      this.scrollToBottom();
      this.input.focus();
    });
    this.form.addEventListener('submit', (event) => {
      event.preventDefault();
      this.submit();
    });
    this.input.addEventListener('keydown', (event) => {
      // Enter sends, Shift+Enter starts a new line; never in the middle of an IME composition.
      if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        this.submit();
      }
    });
    this.input.addEventListener('input', () => this.onInput());
    this.onInput();
    this.renderEdges();
  }

  setMe(clientId) {
    this.me = clientId;
  }

  /** The history sent on every (re)connect; `hasMore`: older messages can be paged in. */
  history(messages, hasMore) {
    const stick = this.last === null || this.atBottom();
    this.log.replace(messages, hasMore);
    this.render();
    if (stick) this.scrollToBottom();
  }

  /** A message from the socket. */
  receive(message) {
    const stick = this.atBottom();
    const entry = this.log.add(message);
    if (!entry) return;
    const mine = message.client_id === this.me;
    if (mine) {
      const i = this.pending.findIndex((text) => asStored(text) === message.text);
      if (i >= 0) this.pending.splice(i, 1);
    }
    this.append(entry);
    if (stick || mine) this.scrollToBottom();
    else {
      this.unseen += 1;
      this.renderNewButton();
    }
  }

  /** A system line, at server time `at`. */
  notice(text, at) {
    const stick = this.atBottom();
    this.append(this.log.notice(text, at));
    if (stick) this.scrollToBottom();
  }

  /** Whether a message of ours awaits its echo (or refusal). */
  get waiting() {
    return this.pending.length > 0;
  }

  /** The server refused a message: say why, and give the words back if the box is free. */
  refused(reason) {
    const text = this.pending.shift();
    if (text && !this.input.value) {
      this.input.value = text;
      this.onInput();
    }
    this.showError(reason);
  }

  // ---- Sending ----

  submit() {
    const text = this.input.value;
    const length = messageLength(text);
    if (length === 0) {
      this.input.focus();
      return;
    }
    if (length > MAX_CHARS) {
      const over = length - MAX_CHARS;
      this.showError(`That is ${over.toLocaleString('en')} ${over === 1 ? 'character' : 'characters'} too long.`);
      return;
    }
    if (!this.send({ type: 'chat', text })) {
      this.showError('Not connected: your message was not sent. It is still in the box.');
      return;
    }
    this.pending.push(text);
    this.input.value = '';
    this.onInput();
    this.showError('');
    this.scrollToBottom();
  }

  onInput() {
    const { text, state } = counter(messageLength(this.input.value));
    this.count.textContent = text;
    this.count.dataset.state = state;
    // Grow with the text up to a few lines, then scroll inside the box.
    this.input.style.height = 'auto';
    this.input.style.height = `${Math.min(this.input.scrollHeight + 2, 140)}px`;
  }

  showError(text) {
    clearTimeout(this.errorTimer);
    this.error.textContent = text;
    if (text) this.errorTimer = setTimeout(() => (this.error.textContent = ''), 8000);
  }

  // ---- Older messages ----

  async fetchOlder() {
    if (this.loading || !this.log.hasMore || this.log.oldestId === null) return;
    this.loading = true;
    this.renderEdges();
    const before = this.log.oldestId;
    try {
      const page = await this.loadOlder(before, PAGE_SIZE);
      // A reconnect's history may have replaced the log meanwhile; then this page no longer fits.
      if (this.log.oldestId !== before) return;
      // Keep what the reader looks at in place: the line that was first stays where it is on screen,
      // with the older ones above it, out of view.
      const anchor = this.list.querySelector('.chat-msg');
      const id = anchor?.dataset.id;
      const top = anchor?.getBoundingClientRect().top;
      this.log.addOlder(page);
      this.render();
      const moved = id && this.list.querySelector(`.chat-msg[data-id="${id}"]`);
      if (moved) this.scroller.scrollTop += moved.getBoundingClientRect().top - top;
    } catch (error) {
      this.showError(`Could not load older messages: ${error.message}`);
    } finally {
      this.loading = false;
      this.renderEdges();
    }
  }

  onScroll() {
    this.stuck = this.atBottom();
    if (this.stuck && this.unseen > 0) {
      this.unseen = 0;
      this.renderNewButton();
    }
    if (this.scroller.scrollTop < LOAD_OLDER_PX) this.fetchOlder();
  }

  // ---- Drawing ----

  atBottom() {
    const s = this.scroller;
    return s.scrollHeight - s.scrollTop - s.clientHeight < STICK_PX;
  }

  scrollToBottom() {
    this.scroller.scrollTop = this.scroller.scrollHeight;
    this.stuck = true;
    this.unseen = 0;
    this.renderNewButton();
  }

  render() {
    this.last = null;
    const nodes = [];
    for (const entry of this.log.entries()) nodes.push(...this.nodesFor(entry));
    this.list.replaceChildren(...nodes);
    this.renderEdges();
  }

  append(entry) {
    this.list.append(...this.nodesFor(entry));
    this.renderEdges();
  }

  /** The nodes for one entry: a day heading first when the day changes. */
  nodesFor(entry) {
    const nodes = [];
    if (!this.last || !sameDay(this.last.at, entry.at)) {
      const day = el('li', 'chat-day');
      day.setAttribute('role', 'separator');
      day.append(el('span', '', dayLabel(entry.at)));
      nodes.push(day);
    }
    nodes.push(entry.kind === 'notice' ? this.noticeNode(entry) : this.messageNode(entry, continues(this.last, entry)));
    this.last = entry;
    return nodes;
  }

  messageNode(message, continued) {
    const item = el('li', 'chat-msg');
    item.dataset.id = String(message.id);
    if (continued) item.classList.add('continued');
    if (message.client_id === this.me) item.classList.add('is-me');
    const meta = el('div', 'chat-meta');
    const author = el('span', 'chat-author', displayName(message));
    // The colour comes from the server as a CSS value; the style property drops anything else.
    author.style.color = message.color || '';
    meta.append(author, timeNode(message.at));
    item.append(meta, el('p', 'chat-text', message.text));
    return item;
  }

  noticeNode(notice) {
    const item = el('li', 'chat-notice');
    item.append(el('span', 'chat-notice-text', notice.text), timeNode(notice.at));
    return item;
  }

  /** The top of the list (load older / start of the chat) and the empty state. */
  renderEdges() {
    const hasMessages = this.log.messages.length > 0;
    this.olderButton.hidden = !this.log.hasMore;
    this.olderButton.disabled = this.loading;
    this.olderButton.textContent = this.loading ? 'Loading older messages…' : 'Load older messages';
    this.start.hidden = this.log.hasMore || !hasMessages;
    // Until the first message, notices or not, the chat invites one.
    this.empty.hidden = hasMessages;
  }

  renderNewButton() {
    this.newButton.hidden = this.unseen === 0;
    this.newButton.textContent = this.unseen === 1 ? '1 new message ↓' : `${this.unseen} new messages ↓`;
  }
}
