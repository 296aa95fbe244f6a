// Applying live events to the state: one function per event type of docs/api.md. Hooks
// let the page react beyond the state (a desktop notification, a nudge's shake).

import {
  addMember, addRequest, advanceLastMessage, bestKnown, changed, countUnread, dropRequests, forgetConversation,
  forgetFriend, loadAll, loadConversation, loadFriends, mergeConversation, putFriend, quoteDeleted, raiseReadMark,
  removeMember, setReaction, setRole, setTyping, store, updateConversation, updateFriend, updateMe,
} from "./state.js";

/**
 * Set by app.js: `onMessage(conversation, message)`, `onNudge(data)`, `onNotification(data)`,
 * `onRemoved(conversationId, removal)` (`removal`: `{by, banned, title}` when a moderator
 * removed me), `onSignedIn(friend)` (a friend came online), `onReport(data)` (a report for a
 * room I keep).
 */
export const hooks = {
  onMessage() {}, onNudge() {}, onNotification() {}, onRemoved() {}, onSignedIn() {}, onReport() {},
};

const ROLE_WORDS = { owner: "owns the room now", moderator: "is a moderator now", member: "is no longer a moderator" };
const MY_ROLE_WORDS = { owner: "own the room now", moderator: "are a moderator now", member: "are no longer a moderator" };

const TYPING_MS = 6000;

function note(id, text) {
  const t = store.timelines.get(id);
  if (t?.loaded) t.addNotice(text);
}

/** A conversation we have not heard of yet: fetch it (a new direct chat, a join elsewhere). */
async function ensureConversation(id) {
  if (store.conversations.has(id)) return { c: store.conversations.get(id), fresh: false };
  try {
    await loadConversation(id);
    return { c: store.conversations.get(id), fresh: true };
  } catch {
    return { c: null, fresh: true };
  }
}

function upsertMessage(message) {
  const t = store.timelines.get(message.conversation_id);
  if (t?.loaded) t.put(message, store.me.id);
  const c = store.conversations.get(message.conversation_id);
  if (c) advanceLastMessage(c, message);
}

const handlers = {
  async message({ conversation_id, message }) {
    const { c, fresh } = await ensureConversation(conversation_id);
    if (!c) return;
    // A replay of what we already have changes nothing; a conversation fetched just now
    // already counts this message as unread.
    const replay = !fresh && c.last_message && c.last_message.seq >= message.seq;
    upsertMessage(message);
    const mine = message.sender.id === store.me.id;
    // Sending moves the sender's read mark to their message; the server does the same
    // without a `read` event, so this is how a reply (from any of their clients) shows
    // that they saw what came before it.
    raiseReadMark(c, message.sender.id, message.seq);
    if (!mine && !replay) {
      if (!fresh) countUnread(c, message);
      setTyping(conversation_id, message.sender.id, "", 0);
      hooks.onMessage(c, message);
    }
    changed("conversations", "chat");
  },

  // One of our sessions ended (signed out, revoked, a password change). If it was this
  // tab's, the server ends the stream and the reconnect finds the session gone, which
  // stream.js reports as signed out; here only the settings' list of sessions changes.
  session_ended() {
    changed("sessions");
  },

  message_edited({ message }) {
    upsertMessage(message);
    changed("conversations", "chat");
  },

  message_deleted({ conversation_id, message }) {
    upsertMessage(message);
    quoteDeleted(conversation_id, message.id);
    const c = store.conversations.get(conversation_id);
    // A deleted message no longer counts as unread; the server's count is the truth.
    if (c && message.sender.id !== store.me.id && c.unread_count) {
      loadConversation(conversation_id).catch(() => {});
    }
    changed("conversations", "chat");
  },

  typing({ conversation_id, user_id, display_name, typing, expires_at }) {
    const until = typing ? Math.min(Date.parse(expires_at) || 0, Date.now() + TYPING_MS) : 0;
    setTyping(conversation_id, user_id, display_name, until);
    if (typing) setTimeout(() => changed("chat", "conversations"), until - Date.now() + 50);
  },

  nudge(data) {
    const c = store.conversations.get(data.conversation_id);
    if (!c) return;
    note(data.conversation_id, `${data.display_name} sent a nudge.`);
    changed("chat");
    hooks.onNudge(data);
  },

  read({ conversation_id, user_id, seq }) {
    const c = store.conversations.get(conversation_id);
    if (!c) return;
    const caughtUp = raiseReadMark(c, user_id, seq);
    // Read in another tab, but not to the end: ask the server what is left unread.
    if (user_id === store.me.id && !caughtUp) loadConversation(conversation_id).catch(() => {});
    changed("conversations", "chat");
  },

  presence({ user_id, presence, last_seen_at }) {
    if (user_id === store.me.id) {
      updateMe({ presence });
      changed("me");
      return;
    }
    const friend = store.friends.get(user_id);
    const signedIn = friend?.user.presence === "offline" && presence !== "offline";
    updateFriend(user_id, { presence, last_seen_at: presence === "offline" ? last_seen_at : undefined });
    if (signedIn) hooks.onSignedIn(friend.user);
    changed("contacts", "conversations", "chat");
  },

  profile({ user_id, user }) {
    if (user_id === store.me.id) {
      updateMe({ ...user, presence: store.me.presence });
      changed("me", "chat");
      return;
    }
    updateFriend(user_id, user);
    changed("contacts", "conversations", "chat");
  },

  friend_request({ status, request }) {
    dropRequests((r) => r.from.id === request.from.id && r.to.id === request.to.id);
    if (status === "pending") addRequest(request);
    changed("contacts");
  },

  friend_added({ friend }) {
    putFriend(friend);
    changed("contacts", "conversations", "chat");
  },

  friend_removed({ user_id }) {
    forgetFriend(user_id);
    // A block also ends friendship: the blocks list may have changed.
    loadFriends().catch(() => {});
    changed("contacts", "conversations", "chat");
  },

  conversation_added({ conversation }) {
    mergeConversation(conversation);
    changed("conversations", "chat");
  },

  reaction({ conversation_id, message_id, emoji, user_id, added, count }) {
    const message = store.timelines.get(conversation_id)?.messages.get(message_id);
    if (!message) return;
    setReaction(message, emoji, user_id, added, count);
    changed("chat");
  },

  preferences({ conversation_id, muted, hidden }) {
    const c = store.conversations.get(conversation_id);
    if (!c) return;
    if (hidden) {
      // Hidden in one tab, hidden in all; a newer message brings it back (`message`).
      forgetConversation(conversation_id);
      hooks.onRemoved(conversation_id);
    } else {
      updateConversation(c, { muted, hidden: false });
    }
    changed("conversations", "chat");
  },

  conversation_updated({ conversation_id, title, topic, invite_code, by }) {
    const c = store.conversations.get(conversation_id);
    if (!c) return;
    const who = by.id === store.me.id ? "You" : bestKnown(by).display_name;
    if ((c.title ?? null) !== title) note(conversation_id, title ? `${who} named the room “${title}”.` : `${who} removed the room's name.`);
    if ((c.topic ?? null) !== topic) note(conversation_id, topic ? `${who} set the topic: “${topic}”.` : `${who} cleared the topic.`);
    if (invite_code !== undefined && (c.invite_code ?? null) !== invite_code) {
      note(conversation_id, `${who} made a new invite link; the old one no longer works.`);
      updateConversation(c, { invite_code });
    }
    updateConversation(c, { title, topic });
    changed("conversations", "chat");
  },

  member_joined({ conversation_id, user_id, user }) {
    const c = store.conversations.get(conversation_id);
    if (!c) return;
    addMember(c, user);
    note(conversation_id, `${bestKnown(user).display_name} joined.`);
    changed("chat", "conversations");
  },

  member_left({ conversation_id, user_id, removed_by, banned }) {
    const c = store.conversations.get(conversation_id);
    if (!c) return;
    const nameOf = (id) => {
      const member = c.members?.find((m) => m.id === id);
      return id === store.me.id ? "You" : member ? bestKnown(member).display_name : "Someone";
    };
    if (user_id === store.me.id) {
      forgetConversation(conversation_id);
      hooks.onRemoved(conversation_id, removed_by ? { by: nameOf(removed_by), banned: Boolean(banned), conversation: c } : null);
      changed("conversations", "chat");
      return;
    }
    const leaver = nameOf(user_id);
    removeMember(c, user_id);
    note(conversation_id, removed_by
      ? `${nameOf(removed_by)} ${banned ? "banned" : "removed"} ${leaver}.`
      : `${leaver} left.`);
    changed("chat", "conversations");
  },

  member_role({ conversation_id, user_id, role }) {
    const c = store.conversations.get(conversation_id);
    if (!c) return;
    setRole(c, user_id, role);
    const member = c.members?.find((m) => m.id === user_id);
    const name = user_id === store.me.id ? "You" : member ? bestKnown(member).display_name : "Someone";
    note(conversation_id, user_id === store.me.id ? `You ${MY_ROLE_WORDS[role]}.` : `${name} ${ROLE_WORDS[role]}.`);
    changed("chat");
  },

  report(data) {
    hooks.onReport(data);
  },

  notification(data) {
    hooks.onNotification(data);
  },

  async resync() {
    await loadAll();
  },
};

let queue = Promise.resolve();

/**
 * Applies one event, strictly after the ones before it (some handlers fetch first). A
 * failure to apply one never stops the others.
 */
export function applyEvent(type, data) {
  queue = queue.then(async () => {
    try {
      await handlers[type]?.(data);
    } catch (error) {
      console.warn("could not apply event", type, error);
    }
  });
  return queue;
}
