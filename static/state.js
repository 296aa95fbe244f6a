// What the page knows: the signed-in user, contacts, conversations and their timelines,
// who is typing. Views read it and subscribe; REST answers and live events update it
// through the functions here, which then say what changed.

import { api } from "./api.js";

export const store = {
  me: null,
  friends: new Map(), // user id -> {user, since}
  incoming: [], // requests to me
  outgoing: [], // requests from me
  blocked: [],
  conversations: new Map(), // id -> conversation
  timelines: new Map(), // conversation id -> Timeline
  typing: new Map(), // conversation id -> Map(user id -> {name, until})
  openId: null,
  connection: "connecting",
  retryInMs: 0,
};

/** One conversation's history as far as it is loaded, plus what only this tab knows. */
class Timeline {
  constructor() {
    this.messages = new Map(); // id -> message
    // Sends not acknowledged yet: {client_id, body, created_at, state: "sending"|"failed",
    // error, automatic (resent by itself), attempts, timer}
    this.pending = [];
    this.notices = []; // {text, at, afterSeq}
    this.loaded = false;
    this.hasMore = false;
    this.loading = false;
  }

  get newestSeq() {
    let seq = 0;
    for (const m of this.messages.values()) seq = Math.max(seq, m.seq);
    return seq;
  }

  get oldestSeq() {
    let seq = Infinity;
    for (const m of this.messages.values()) seq = Math.min(seq, m.seq);
    return seq === Infinity ? 0 : seq;
  }

  sorted() {
    return [...this.messages.values()].sort((a, b) => a.seq - b.seq);
  }

  /** A line for the log (a join, a leave, a nudge), placed after the newest message. */
  addNotice(text) {
    this.notices.push({ text, at: new Date().toISOString(), afterSeq: this.newestSeq });
  }

  /** Stores a message; a pending send with its client id is then settled. */
  put(message, myId) {
    this.messages.set(message.id, message);
    if (message.sender.id === myId) {
      this.pending = this.pending.filter((p) => p.client_id !== message.client_id);
    }
  }
}

export function timeline(id) {
  let t = store.timelines.get(id);
  if (!t) {
    t = new Timeline();
    store.timelines.set(id, t);
  }
  return t;
}

// Change notification: views register per area; changes made in one task are rendered
// once, after it (a microtask).
const listeners = new Map();
const dirty = new Set();
let scheduled = false;

export function subscribe(area, render) {
  if (!listeners.has(area)) listeners.set(area, []);
  listeners.get(area).push(render);
}

/** Marks areas ("me", "contacts", "conversations", "chat", "connection") for re-render. */
export function changed(...areas) {
  for (const area of areas) dirty.add(area);
  if (scheduled) return;
  scheduled = true;
  queueMicrotask(() => {
    scheduled = false;
    const areas = [...dirty];
    dirty.clear();
    for (const area of areas) for (const render of listeners.get(area) ?? []) render();
  });
}

// Loading state from the REST API.

/** Every page of a list the API hands out in pages: `read(cursor)` answers one page,
 * `items(page)` its items, `next(page)` the cursor of the next page or null. */
async function allPages(read, items, next) {
  const first = await read(null);
  const all = [...items(first)];
  let page = first;
  // A bound, so a server that kept handing out cursors could not keep the page loading.
  for (let pages = 1; next(page) && pages < PAGES_MAX; pages += 1) {
    page = await read(next(page));
    all.push(...items(page));
  }
  return { first, all };
}

/** The most pages of a list loaded (200 items each). */
const PAGES_MAX = 50;

export async function loadFriends() {
  const [{ first: friends, all }, blocks] = await Promise.all([
    allPages(api.friends, (page) => page.friends, (page) => page.next_after),
    api.blocks(),
  ]);
  store.friends = new Map(all.map((f) => [f.user.id, f]));
  store.incoming = friends.incoming;
  store.outgoing = friends.outgoing;
  store.blocked = blocks.blocked;
  changed("contacts", "conversations", "chat");
}

export async function loadConversations() {
  const { all: conversations } = await allPages(api.conversations, (page) => page.conversations, (page) => page.next_before);
  const fresh = new Map();
  for (const c of conversations) {
    const known = store.conversations.get(c.id);
    // The list omits room members; keep the roster already loaded.
    fresh.set(c.id, { ...known, ...c, members: c.members ?? known?.members });
  }
  store.conversations = fresh;
  changed("conversations", "chat");
}

/** Everything, from scratch: at start and on `resync`. */
export async function loadAll() {
  store.me = await api.me();
  await Promise.all([loadFriends(), loadConversations()]);
  // Events were missed: what is loaded may have gaps, so only unsent messages are kept.
  for (const [id, t] of store.timelines) {
    if (!store.conversations.has(id)) {
      store.timelines.delete(id);
      continue;
    }
    const fresh = new Timeline();
    fresh.pending = t.pending;
    store.timelines.set(id, fresh);
  }
  if (store.openId && !store.conversations.has(store.openId)) store.openId = null;
  if (store.openId) await loadLatest(store.openId);
  changed("me", "contacts", "conversations", "chat");
}

/** The full conversation (members, read marks), merged into what is known. */
export async function loadConversation(id) {
  const full = await api.conversation(id);
  store.conversations.set(id, { ...store.conversations.get(id), ...full });
  changed("conversations", "chat");
  return full;
}

/** The newest page of a conversation (and its members and read marks). */
export async function loadLatest(id) {
  const t = timeline(id);
  t.loading = true;
  try {
    const [page] = await Promise.all([api.history(id), loadConversation(id)]);
    for (const m of page.messages) t.put(m, store.me.id);
    t.hasMore = page.has_more;
    t.loaded = true;
  } finally {
    t.loading = false;
    changed("chat");
  }
}

/** The page before the oldest loaded message (scroll-back). */
export async function loadOlder(id) {
  const t = timeline(id);
  if (t.loading || !t.hasMore) return false;
  t.loading = true;
  try {
    const page = await api.history(id, t.oldestSeq);
    for (const m of page.messages) t.put(m, store.me.id);
    t.hasMore = page.has_more;
    return page.messages.length > 0;
  } finally {
    t.loading = false;
    changed("chat");
  }
}

// Derived views of the state.

/** The other member of a direct conversation. */
export function otherMember(conversation) {
  return conversation.members?.find((m) => m.id !== store.me?.id) ?? null;
}

/** What a conversation is called in lists and headers. */
export function conversationTitle(conversation) {
  if (conversation.kind === "direct") {
    const other = otherMember(conversation);
    const friend = other && store.friends.get(other.id);
    return (friend?.user ?? other)?.display_name ?? "Direct conversation";
  }
  return conversation.name ? `#${conversation.name}` : conversation.title || "Private room";
}

/** Whether friends' presence is unknown: the event stream that keeps it fresh is away. */
export function presenceStale() {
  return store.connection === "reconnecting" || store.connection === "unavailable";
}

/** A user as best known: the friend record (live presence) over any other summary. */
export function bestKnown(user) {
  if (!user) return user;
  if (user.id === store.me?.id) return store.me;
  return store.friends.get(user.id)?.user ?? user;
}

/** Makes `message` the conversation's last one, unless a later one is known already. */
export function advanceLastMessage(conversation, message) {
  if (!conversation.last_message || conversation.last_message.seq <= message.seq) {
    conversation.last_message = message;
  }
}

/**
 * Moves a member's read mark forward (never back). When it is mine and reaches the newest
 * message, nothing is unread any more; returns whether I am so caught up.
 */
export function raiseReadMark(conversation, userId, seq) {
  const marks = conversation.read_marks ?? {};
  conversation.read_marks = { ...marks, [userId]: Math.max(seq, marks[userId] ?? 0) };
  if (userId !== store.me.id) return false;
  const caughtUp = !conversation.last_message || seq >= conversation.last_message.seq;
  if (caughtUp) {
    conversation.unread_count = 0;
    conversation.mention_count = 0;
  }
  return caughtUp;
}

export function totalUnread() {
  let total = 0;
  // Muted conversations stay out of the title's count, but for what mentions me.
  for (const c of store.conversations.values()) total += c.muted ? c.mention_count || 0 : c.unread_count || 0;
  return total;
}

export function sortedConversations() {
  const activity = (c) => Date.parse(c.last_message?.created_at ?? c.created_at);
  return [...store.conversations.values()].sort((a, b) => activity(b) - activity(a));
}

export function typingNames(id) {
  const now = Date.now();
  const names = [];
  for (const [userId, entry] of store.typing.get(id) ?? []) {
    if (entry.until > now && userId !== store.me?.id) names.push(entry.name);
  }
  return names;
}

export function setTyping(id, userId, name, until) {
  if (!store.typing.has(id)) store.typing.set(id, new Map());
  const map = store.typing.get(id);
  if (until > Date.now()) map.set(userId, { name, until });
  else map.delete(userId);
  changed("chat", "conversations");
}
