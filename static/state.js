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

  /** A send of this tab, shown until it is acknowledged. */
  addPending(pending) {
    this.pending.push(pending);
  }

  /** A send given up (discarded). */
  dropPending(pending) {
    clearTimeout(pending.timer);
    this.pending = this.pending.filter((p) => p !== pending);
  }

  /** A send going out (again): any resend it was waiting for is off. */
  sendingAgain(pending) {
    clearTimeout(pending.timer);
    pending.state = "sending";
  }

  /**
   * A send that failed: `error` says why in plain words; when `automatic`, it is attempt
   * number `attempts` and `timer` sends it again.
   */
  sendFailed(pending, { error, automatic, attempts = pending.attempts, timer = null }) {
    Object.assign(pending, { state: "failed", error, automatic, attempts, timer });
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
  setMe(await api.me());
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
  mergeConversation(full);
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

// Changing the state. Every write goes through a function here; the caller then says
// what changed (`changed`), so this file shows every way the state can move.

/** The event stream's state ("connecting", "live", "reconnecting", ...) and when it tries next. */
export function setConnection(state, retryInMs = 0) {
  store.connection = state;
  store.retryInMs = retryInMs;
}

/** The signed-in user as the server answered. */
export function setMe(user) {
  store.me = user;
}

/** Fields of the signed-in user that changed. */
export function updateMe(fields) {
  store.me = { ...store.me, ...fields };
}

/** Signed out: nothing of the account stays in the page. */
export function forgetEverything() {
  store.me = null;
  store.friends.clear();
  store.conversations.clear();
  store.timelines.clear();
  store.openId = null;
  store.connection = "connecting";
}

/** Which conversation is on screen (null: none). */
export function setOpen(id) {
  store.openId = id;
}

/** A conversation as an answer or an event gives it, merged over what is known. */
export function mergeConversation(conversation) {
  store.conversations.set(conversation.id, { ...store.conversations.get(conversation.id), ...conversation });
}

/** Fields of a known conversation that changed (it stays the same object). */
export function updateConversation(conversation, fields) {
  Object.assign(conversation, fields);
}

/** A conversation left, hidden or gone: forgotten with its history. */
export function forgetConversation(id) {
  store.conversations.delete(id);
  store.timelines.delete(id);
}

/** Someone else's new message: one more unread, and one more mention if it names me. */
export function countUnread(conversation, message) {
  conversation.unread_count = (conversation.unread_count || 0) + 1;
  if (message.mentions?.includes(store.me.username)) conversation.mention_count = (conversation.mention_count || 0) + 1;
}

/** A member joined a room whose roster is loaded. */
export function addMember(conversation, user) {
  if (conversation.members && !conversation.members.some((m) => m.id === user.id)) conversation.members = [...conversation.members, user];
}

/** A member left a room (or was removed): out of the roster, the roles and the count. */
export function removeMember(conversation, userId) {
  if (conversation.members) conversation.members = conversation.members.filter((m) => m.id !== userId);
  if (conversation.roles) delete conversation.roles[userId];
  conversation.member_count = Math.max(0, (conversation.member_count ?? 1) - 1);
}

/** A member's standing in a room now ("member" is left out of `roles`). */
export function setRole(conversation, userId, role) {
  if (userId === store.me.id) conversation.role = role;
  conversation.roles = { ...(conversation.roles ?? {}) };
  if (role === "member") delete conversation.roles[userId];
  else conversation.roles[userId] = role;
}

/** A friend, new or as now; any request between us is settled by it. */
export function putFriend(friend) {
  dropRequests((r) => r.from.id === friend.user.id || r.to.id === friend.user.id);
  store.friends.set(friend.user.id, friend);
}

/** Fields of a friend's user that changed (presence, profile). */
export function updateFriend(userId, fields) {
  const friend = store.friends.get(userId);
  if (friend) friend.user = { ...friend.user, ...fields };
}

/** A friend no more. */
export function forgetFriend(userId) {
  store.friends.delete(userId);
}

/** Takes the requests `matches` picks out of both lists. */
export function dropRequests(matches) {
  store.incoming = store.incoming.filter((r) => !matches(r));
  store.outgoing = store.outgoing.filter((r) => !matches(r));
}

/** A request now pending, at the top of its list. */
export function addRequest(request) {
  if (request.to.id === store.me.id) store.incoming.unshift(request);
  else store.outgoing.unshift(request);
}

/** A message's reactions with `userId`'s `emoji` added or taken back (`count` in all). */
export function setReaction(message, emoji, userId, added, count) {
  const reactions = (message.reactions ?? []).map((r) => ({ ...r, user_ids: [...r.user_ids] }));
  let entry = reactions.find((r) => r.emoji === emoji);
  if (!entry) {
    entry = { emoji, count: 0, user_ids: [] };
    reactions.push(entry);
  }
  entry.count = count;
  entry.user_ids = entry.user_ids.filter((id) => id !== userId);
  if (added) entry.user_ids.push(userId);
  message.reactions = reactions.filter((r) => r.count > 0);
}

/** Replies quoting a message that was deleted now quote a deleted message. */
export function quoteDeleted(conversationId, messageId) {
  for (const m of store.timelines.get(conversationId)?.messages.values() ?? []) {
    if (m.reply_to?.id === messageId) m.reply_to = { ...m.reply_to, deleted: true, excerpt: "" };
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
