// The chat pane: the history with scroll-back paging and day separators, formatted bodies
// (format.js), own messages
// with edit and delete, optimistic sends keyed by `client_id` (a retry never duplicates),
// typing both ways, "Seen" receipts, read marks for what is on screen in a focused tab,
// nudges, the room roster and invite link.

import { api } from "./api.js";
import { dayKey, formatAgo, formatDay, formatFull, formatTime, h, replaceChildren } from "./dom.js";
import { formatBody } from "./format.js";
import { pickEmoji } from "./emoji-picker.js";
import { setupMentionCompletion } from "./mention-completion.js";
import { checkBody, length, MESSAGE_MAX } from "./limits.js";
import { avatar, toast } from "./contacts-view.js";
import { inviteKey, moderationButtons, renderBans, renderModerationHeader, renderRoster } from "./moderation-view.js";
import { attachmentsNode, clearStaged, hasStaged, readyAttachments, renderStaged, setupAttachments } from "./attachments-view.js";
import {
  advanceLastMessage, bestKnown, changed, conversationTitle, loadLatest, loadOlder, otherMember,
  presenceStale, raiseReadMark, store, subscribe, timeline, typingNames,
} from "./state.js";

const $ = (id) => document.getElementById(id);

const TYPING_REPEAT_MS = 3000; // at most one "typing" per 3 s while typing (expiry is 6 s)
const COUNTER_FROM = MESSAGE_MAX - 500;
const PRESENCE_TEXT = { online: "Online", away: "Away", busy: "Busy", offline: "Offline" };
/** Messages from one sender this close together share one header, as in every chat. */
const GROUP_WITHIN_MS = 5 * 60_000;
/** How many older pages opening a conversation loads to reach its first unread message. */
const UNREAD_PAGES_MAX = 10;

let editing = null; // the message being edited, or null
let replying = null; // the message the next send answers, or null
/** How many older pages a click on a quote loads, at most, to reach what it quotes. */
const QUOTE_PAGES_MAX = 20;
// How far back a search result may be loaded to show it in place (pages of 50).
const SEARCH_PAGES_MAX = 50;
let lastTypingSent = 0;
const rendered = new Map(); // log item key -> {node, version}
let readTimer = null;
// The "new messages" line of the open conversation: after my read mark as it was when I
// opened it, so it stays put while I read. null when nothing was unread.
let unreadAfterSeq = null;
// The newest seq on screen when the log was last at its bottom: what arrived after it,
// while I was scrolled up, is what the "new messages" button counts.
let seenAtBottomSeq = 0;
// On a touch screen, the one bubble whose actions are shown (tapped last).
let selectedId = null;

const log = () => $("log");

/** Whether the page is used with a finger rather than a mouse. */
const touchScreen = () => matchMedia("(hover: none) and (pointer: coarse)").matches;

/** Whether this tab is one a person is looking at. */
const attentive = () => document.visibilityState === "visible" && document.hasFocus();

function isAtBottom() {
  const el = log();
  return el.scrollHeight - el.scrollTop - el.clientHeight < 48;
}

function scrollToBottom() {
  log().scrollTop = log().scrollHeight;
}

// Building log items. Each has a key (stable identity) and a version (re-build on change).

/** A message's time: the clock, with the full date on hover (and for screen readers). */
const timeNode = (iso) => h("time", { datetime: iso, class: "muted small", title: formatFull(iso) }, formatTime(iso));

/** `seen`: `{label, title}` when "Seen" goes under this message, else null. */
function messageNode(message, conversation, seen, continued) {
  const mine = message.sender.id === store.me.id;
  const sender = bestKnown(message.sender);
  const body = message.deleted
    ? h("p", { class: "body tombstone" }, "This message was deleted.")
    : h("div", { class: "body", dir: "auto" }, formatBody(message.body, store.me.username));
  const actions = message.deleted ? null
    : h("div", { class: "msg-actions" },
        h("button", { type: "button", class: "small", onclick: () => startReply(message), "aria-label": "Reply to this message" }, "Reply"),
        h("button", { type: "button", class: "small", onclick: () => reactWithPicked(conversation.id, message), "aria-label": "React to this message" }, "React"),
        mine ? h("button", { type: "button", class: "small", onclick: () => startEdit(message), "aria-label": "Edit message" }, "Edit") : null,
        mine ? h("button", { type: "button", class: "small", onclick: () => deleteMessage(conversation.id, message), "aria-label": "Delete message" }, "Delete") : null,
        ...moderationButtons(conversation, message, deleteMessage));
  return h("article", {
    class: `msg${mine ? " mine" : ""}${message.deleted ? " deleted" : ""}${continued ? " continued" : ""}${selectedId === message.id ? " selected" : ""}`,
    dataset: { seq: String(message.seq), id: message.id },
    "aria-label": `${sender.display_name} at ${formatTime(message.created_at)}`,
  },
    h("header", { class: "msg-head" },
      continued || mine ? null : avatar(sender),
      continued ? null : h("span", { class: "sender", dir: "auto" }, mine ? "You" : sender.display_name),
      timeNode(message.created_at),
      message.edited_at && !message.deleted ? h("span", { class: "muted small edited", title: `Edited ${formatFull(message.edited_at)}` }, "(edited)") : null),
    message.reply_to && !message.deleted ? quoteNode(conversation.id, message.reply_to) : null,
    message.deleted || message.body ? body : null,
    message.deleted ? null : attachmentsNode(message.attachments),
    message.deleted ? null : reactionsNode(conversation, message),
    actions,
    seen ? h("p", { class: "seen muted small", title: seen.title || false }, seen.label) : null);
}

/** Names for a list of user ids, as this page knows them ("You" for me). */
function whoReacted(conversation, reaction) {
  const names = reaction.user_ids.map((id) => {
    if (id === store.me.id) return "You";
    const member = conversation.members?.find((m) => m.id === id);
    return member ? bestKnown(member).display_name : "someone";
  });
  const more = reaction.count - names.length;
  return more > 0 ? `${names.join(", ")} and ${more} more` : names.join(", ");
}

/** The row of reactions under a message: one chip per emoji; a click adds or takes back mine. */
function reactionsNode(conversation, message) {
  if (!message.reactions?.length) return null;
  return h("div", { class: "reactions" }, message.reactions.map((reaction) => {
    const mine = reaction.user_ids.includes(store.me.id);
    const who = whoReacted(conversation, reaction);
    return h("button", {
      type: "button",
      class: `reaction${mine ? " mine" : ""}`,
      "aria-pressed": String(mine),
      "aria-label": `${reaction.emoji} ${reaction.count}: ${who}`,
      title: who,
      onclick: () => react(conversation.id, message, reaction.emoji, !mine),
    }, h("span", { class: "reaction-emoji" }, reaction.emoji), h("span", { class: "reaction-count" }, String(reaction.count)));
  }));
}

async function react(conversationId, message, emoji, add) {
  try {
    await api.react(conversationId, message.id, emoji, add);
  } catch (error) {
    toast(error.code === "too_many_reactions" ? "This message has as many different reactions as it can take." : error.message, "error");
  }
}

async function reactWithPicked(conversationId, message) {
  const emoji = await pickEmoji("React with…");
  if (emoji) await react(conversationId, message, emoji, true);
}

/** The quote atop a reply: who and what it answers; a click goes there. */
function quoteNode(conversationId, quote) {
  const who = quote.sender_id === store.me.id ? "You" : bestKnown({ id: quote.sender_id, display_name: quote.sender_name }).display_name;
  return h("button", {
    type: "button",
    class: `quote${quote.deleted ? " gone" : ""}`,
    "aria-label": `In reply to ${who}${quote.deleted ? " (deleted)" : ""}: show that message`,
    onclick: () => jumpTo(conversationId, quote.seq),
  },
    h("span", { class: "quote-name", dir: "auto" }, who),
    h("span", { class: "quote-text", dir: "auto" }, quote.deleted ? "This message was deleted." : quote.excerpt));
}

/**
 * Scrolls the log to message `seq`, loading older pages until it is there (up to
 * QUOTE_PAGES_MAX), and makes it flash so the eye finds it.
 */
async function jumpTo(conversationId, seq, pagesMax = QUOTE_PAGES_MAX) {
  const t = timeline(conversationId);
  try {
    for (let page = 0; t.oldestSeq > seq && t.hasMore && page < pagesMax; page += 1) {
      if (!(await loadOlder(conversationId))) break;
    }
  } catch (error) {
    toast(error.message, "error");
    return;
  }
  if (store.openId !== conversationId) return;
  renderLog(store.conversations.get(conversationId));
  const target = log().querySelector(`[data-seq="${seq}"]`);
  if (!target) {
    toast("That message is too far back to show here.");
    return;
  }
  target.scrollIntoView({ block: "center" });
  target.classList.remove("flash");
  void target.offsetWidth; // restart the animation
  target.classList.add("flash");
  renderJump();
}

function pendingNode(conversationId, pending) {
  const failed = pending.state === "failed";
  return h("article", { class: `msg mine pending${failed ? " failed" : ""}`, dataset: { clientId: pending.client_id } },
    h("header", { class: "msg-head" }, h("span", { class: "sender" }, "You"),
      h("span", { class: "muted small" }, !failed ? "Sending…" : pending.automatic ? "Not sent yet" : "Not sent")),
    pending.reply_to ? quoteNode(conversationId, pending.reply_to) : null,
    pending.body ? h("div", { class: "body", dir: "auto" }, formatBody(pending.body)) : null,
    attachmentsNode(pending.attachments),
    failed
      ? h("div", { class: "msg-failed" },
          h("span", { class: "small" }, pending.error),
          h("button", { type: "button", class: "small primary", onclick: () => deliver(conversationId, pending) }, "Retry"),
          h("button", { type: "button", class: "small", onclick: () => discard(conversationId, pending) }, "Discard"))
      : null);
}

/** The log's items in order: day separators, messages, notices, then pending sends. */
function logItems(conversation) {
  const t = timeline(conversation.id);
  const other = conversation.kind === "direct" ? otherMember(conversation) : null;
  const otherRead = other ? conversation.read_marks?.[other.id] ?? 0 : 0;
  const messages = t.sorted();
  // "Seen" goes under my newest message the other side has read; in a room, "Seen by N"
  // under my newest message, counting the members whose mark reached it.
  let seenSeq = 0;
  let seenLabel = "Seen";
  let seenTitle = "";
  if (other) for (const m of messages) if (m.sender.id === store.me.id && m.seq <= otherRead) seenSeq = m.seq;
  if (!other) {
    const newestMine = messages.findLast((m) => m.sender.id === store.me.id && !m.deleted);
    const readers = newestMine
      ? (conversation.members ?? []).filter((member) => member.id !== store.me.id && (conversation.read_marks?.[member.id] ?? 0) >= newestMine.seq)
      : [];
    if (readers.length) {
      seenSeq = newestMine.seq;
      seenLabel = `Seen by ${readers.length}`;
      seenTitle = readers.map((member) => bestKnown(member).display_name).join(", ");
    }
  }

  const entries = [
    ...messages.map((m) => ({ order: [m.seq, 0, 0], at: m.created_at, message: m })),
    ...t.notices.map((n, i) => ({ order: [n.afterSeq, 1, i], at: n.at, notice: n })),
  ].sort((a, b) => a.order[0] - b.order[0] || a.order[1] - b.order[1] || a.order[2] - b.order[2]);

  const items = [];
  if (t.hasMore) items.push({ key: "more", version: String(t.loading), build: () => h("p", { class: "more muted small" }, t.loading ? "Loading earlier messages…" : "Scroll up for earlier messages") });
  else if (t.loaded) items.push({ key: "start", version: "", build: () => h("p", { class: "more muted small" }, "This is the beginning of the conversation.") });
  let day = null;
  const separate = (at) => {
    const key = dayKey(at);
    if (key === day) return;
    day = key;
    items.push({ key: `day-${key}`, version: formatDay(at), build: () => h("p", { class: "day", role: "separator" }, h("span", {}, formatDay(at))) });
  };
  let previous = null; // the message just above, while nothing else stands between
  let lineDrawn = false;
  for (const entry of entries) {
    const before = day;
    separate(entry.at);
    if (day !== before) previous = null;
    if (entry.message) {
      const m = entry.message;
      if (!lineDrawn && unreadAfterSeq !== null && m.seq > unreadAfterSeq && m.sender.id !== store.me.id) {
        lineDrawn = true;
        previous = null;
        items.push({ key: "unread-line", version: "", build: () => h("p", { class: "unread-line", role: "separator", id: "unread-line" }, h("span", {}, "New messages")) });
      }
      const continued = previous !== null && previous.sender.id === m.sender.id
        && Date.parse(m.created_at) - Date.parse(previous.created_at) < GROUP_WITHIN_MS;
      previous = m;
      const name = `${bestKnown(m.sender).display_name}|${bestKnown(m.sender).avatar_url ?? ""}`;
      items.push({
        key: `m-${m.id}`,
        version: `${m.edited_at}|${m.deleted}|${m.body}|${seenSeq === m.seq}|${seenSeq === m.seq ? seenLabel + seenTitle : ""}|${name}|${continued}|${selectedId === m.id}|${m.reply_to?.deleted}|${JSON.stringify(m.reactions ?? [])}`,
        build: () => messageNode(m, conversation, seenSeq === m.seq ? { label: seenLabel, title: seenTitle } : null, continued),
      });
    } else {
      previous = null;
      const n = entry.notice;
      items.push({ key: `n-${n.afterSeq}-${entry.order[2]}`, version: n.text, build: () => h("p", { class: "notice muted small" }, n.text) });
    }
  }
  for (const p of t.pending) {
    separate(p.created_at);
    items.push({ key: `p-${p.client_id}`, version: `${p.state}|${p.error}|${p.automatic}`, build: () => pendingNode(conversation.id, p) });
  }
  return items;
}

/** Brings the log's children in line with `items`, touching only what changed. */
function reconcile(items) {
  const el = log();
  const wanted = new Set(items.map((i) => i.key));
  for (const [key, entry] of rendered) {
    if (!wanted.has(key)) {
      entry.node.remove();
      rendered.delete(key);
    }
  }
  let cursor = el.firstChild;
  for (const item of items) {
    let entry = rendered.get(item.key);
    if (entry && entry.version !== item.version) {
      const fresh = item.build();
      entry.node.replaceWith(fresh);
      if (cursor === entry.node) cursor = fresh;
      entry = { node: fresh, version: item.version };
      rendered.set(item.key, entry);
    } else if (!entry) {
      entry = { node: item.build(), version: item.version };
      rendered.set(item.key, entry);
    }
    if (entry.node === cursor) cursor = cursor.nextSibling;
    else el.insertBefore(entry.node, cursor);
  }
}

function renderLog(conversation, { forceBottom = false } = {}) {
  const el = log();
  const wasAtBottom = isAtBottom();
  const fromBottom = el.scrollHeight - el.scrollTop;
  const firstBefore = el.querySelector("[data-seq]")?.dataset.seq;
  reconcile(logItems(conversation));
  const firstAfter = el.querySelector("[data-seq]")?.dataset.seq;
  if (forceBottom || wasAtBottom) scrollToBottom();
  else if (firstBefore && firstAfter !== firstBefore) el.scrollTop = el.scrollHeight - fromBottom; // older page above
  renderJump();
}

/**
 * The button over the log's foot while it is scrolled up: "N new messages" when others
 * wrote since I left the bottom, else a plain way back down.
 */
function renderJump() {
  const button = $("jump-down");
  const id = store.openId;
  if (!id || isAtBottom()) {
    if (id) seenAtBottomSeq = timeline(id).newestSeq;
    button.hidden = true;
    return;
  }
  // Runs on every scroll event: a count over the timeline, no sorting.
  let arrived = 0;
  for (const m of timeline(id).messages.values()) if (m.seq > seenAtBottomSeq && m.sender.id !== store.me.id) arrived += 1;
  button.textContent = arrived ? `${arrived} new message${arrived === 1 ? "" : "s"} ↓` : "↓";
  button.setAttribute("aria-label", arrived ? button.textContent.slice(0, -2) + ", jump to the latest" : "Jump to the latest message");
  button.classList.toggle("has-new", arrived > 0);
  button.hidden = false;
}

function renderHeader(conversation) {
  $("chat-title").textContent = conversationTitle(conversation);
  const direct = conversation.kind === "direct";
  // Parts of the subtitle; what a person wrote (a status, a topic) goes in a <bdi> of its
  // own, so right-to-left words cannot reorder the parts after them.
  let parts;
  if (direct) {
    const other = otherMember(conversation);
    const friend = other && store.friends.get(other.id);
    const presence = presenceStale() ? "Presence unknown while reconnecting"
      : friend?.user.last_seen_at ? `Last seen ${formatAgo(friend.user.last_seen_at)}`
      : PRESENCE_TEXT[friend?.user.presence] ?? friend?.user.presence;
    parts = friend
      ? [presence, friend.user.status_message && h("bdi", {}, friend.user.status_message)]
      : [`@${other?.username ?? "?"} is not in your friends`];
  } else {
    const count = conversation.members?.length ?? conversation.member_count;
    parts = [
      conversation.name ? "Public room" : "Private room",
      count ? `${count} member${count === 1 ? "" : "s"}` : "",
      conversation.topic && h("bdi", {}, conversation.topic),
    ];
  }
  parts = parts.filter(Boolean);
  replaceChildren($("chat-subtitle"), parts.flatMap((part, i) => (i ? [" · ", part] : [part])));
  $("chat-subtitle").title = parts.map((part) => (typeof part === "string" ? part : part.textContent)).join(" · ");
  $("nudge").hidden = !direct;
  $("invite").hidden = direct;
  $("room-details").hidden = direct;
  $("hide-chat").hidden = !direct;
  $("mute").textContent = conversation.muted ? "Unmute" : "Mute";
  $("mute").setAttribute("aria-pressed", String(Boolean(conversation.muted)));
  $("leave").hidden = direct;
  $("roster-toggle").hidden = direct;
  if (direct) {
    $("roster").hidden = true;
    $("invite-box").hidden = true;
  }
  renderRoster(conversation);
  renderModerationHeader(conversation);
  $("invite-link").value = `${location.origin}/#join=${inviteKey(conversation)}`;
}

function renderTyping(id) {
  const names = typingNames(id);
  $("typing").textContent =
    names.length === 0 ? "" : names.length === 1 ? `${names[0]} is typing…`
    : names.length === 2 ? `${names[0]} and ${names[1]} are typing…` : "Several people are typing…";
}

function render() {
  const id = store.openId;
  const conversation = id && store.conversations.get(id);
  $("chat-empty").hidden = Boolean(conversation);
  $("chat-main").hidden = !conversation;
  if (!conversation) {
    $("app").dataset.view = "list";
    return;
  }
  renderHeader(conversation);
  renderStaged(id);
  updateComposer();
  renderLog(conversation);
  renderTyping(id);
  scheduleRead();
}

// Reading: mark what is on screen as read, once the tab has a person's attention.

/** The highest seq of a message at least half on screen in the log (0 if none). */
function newestVisibleSeq() {
  const view = log().getBoundingClientRect();
  const nodes = log().querySelectorAll("[data-seq]");
  for (let i = nodes.length - 1; i >= 0; i -= 1) {
    const box = nodes[i].getBoundingClientRect();
    const shown = Math.min(box.bottom, view.bottom) - Math.max(box.top, view.top);
    if (shown >= Math.min(box.height / 2, view.height / 2)) return Number(nodes[i].dataset.seq);
    if (box.bottom < view.top) break;
  }
  return 0;
}

function scheduleRead() {
  clearTimeout(readTimer);
  readTimer = setTimeout(markRead, 250);
}

async function markRead() {
  const id = store.openId;
  const conversation = id && store.conversations.get(id);
  if (!conversation || !attentive()) return;
  const seq = newestVisibleSeq();
  const mine = conversation.read_marks?.[store.me.id] ?? 0;
  if (seq <= mine) return;
  raiseReadMark(conversation, store.me.id, seq);
  changed("conversations");
  try {
    await api.read(id, seq);
  } catch {
    // Not recorded: the next look at the conversation tries again.
    conversation.read_marks = { ...conversation.read_marks, [store.me.id]: mine };
  }
}

// Sending, editing, deleting.

/** The longest wait between two automatic resends of a message that did not go out. */
const RESEND_MAX_MS = 30_000;

/** Whether a failed send is worth sending again by itself: nothing reached a verdict. */
const resendable = (status) => status === 0 || status === 429 || status === 502 || status === 503 || status === 504;

async function deliver(id, pending) {
  clearTimeout(pending.timer);
  pending.state = "sending";
  changed("chat");
  try {
    const message = await api.send(id, pending.body, pending.client_id, pending.reply_to?.id, (pending.attachments ?? []).map((a) => a.id));
    timeline(id).put(message, store.me.id);
    const c = store.conversations.get(id);
    if (c) {
      advanceLastMessage(c, message);
      raiseReadMark(c, store.me.id, message.seq);
    }
    changed("chat", "conversations");
  } catch (error) {
    pending.state = "failed";
    // No answer, a busy service or a rate limit: sent again by itself, with a growing
    // wait, until it goes out (the client id keeps it single however often it is tried).
    // Anything else (not friends any more, blocked) waits for the person.
    pending.automatic = resendable(error.status);
    pending.error =
      error.status === 0 ? "No connection. It goes out by itself once the chat is back."
      : error.status === 429 ? `Sending too fast: it goes out in ${error.retryAfter || 1} s.`
      : pending.automatic ? "The chat service is unavailable. It goes out by itself once it is back."
      : error.message;
    if (pending.automatic) {
      pending.attempts = (pending.attempts ?? 0) + 1;
      const backoff = Math.min(RESEND_MAX_MS, 1000 * 2 ** Math.min(pending.attempts - 1, 5));
      const wait = error.status === 429 ? (error.retryAfter || 1) * 1000 : backoff / 2 + Math.random() * (backoff / 2);
      pending.timer = setTimeout(() => {
        if (timeline(id).pending.includes(pending)) deliver(id, pending);
      }, wait);
    }
    changed("chat");
  }
}

function discard(id, pending) {
  clearTimeout(pending.timer);
  const t = timeline(id);
  t.pending = t.pending.filter((p) => p !== pending);
  changed("chat");
}

/** Sends at once what is waiting to go out by itself (the event stream is back). */
export function retryFailed() {
  for (const [id, t] of store.timelines) {
    for (const p of t.pending) if (p.state === "failed" && p.automatic) deliver(id, p);
  }
}

function startReply(message) {
  stopEdit();
  replying = message;
  const who = message.sender.id === store.me.id ? "yourself" : bestKnown(message.sender).display_name;
  $("replying-text").textContent = `Replying to ${who}: ${message.body.replace(/\s+/g, " ").slice(0, 120)}`;
  $("replying").hidden = false;
  $("message-input").focus();
}

function stopReply() {
  replying = null;
  $("replying").hidden = true;
}

function startEdit(message) {
  stopReply();
  editing = message;
  $("editing").hidden = false;
  const input = $("message-input");
  input.value = message.body;
  updateComposer();
  input.focus();
}

function stopEdit() {
  editing = null;
  $("editing").hidden = true;
  $("message-input").value = "";
  updateComposer();
}

async function deleteMessage(id, message) {
  if (!confirm("Delete this message for everyone?")) return;
  try {
    await api.remove(id, message.id);
    timeline(id).put({ ...message, body: "", deleted: true }, store.me.id);
    changed("chat", "conversations");
  } catch (error) {
    toast(error.message, "error");
  }
}

function sendTyping(typing) {
  const id = store.openId;
  if (!id) return;
  if (typing) lastTypingSent = Date.now();
  else {
    if (Date.now() - lastTypingSent > 6000) return; // nothing to clear
    lastTypingSent = 0;
  }
  api.typing(id, typing).catch(() => {});
}

function updateComposer() {
  const input = $("message-input");
  const count = length(input.value.trim());
  const counter = $("counter");
  counter.textContent = count >= COUNTER_FROM ? `${count.toLocaleString()} / ${MESSAGE_MAX.toLocaleString()}` : "";
  counter.classList.toggle("over", count > MESSAGE_MAX);
  const files = !editing && store.openId && hasStaged(store.openId);
  $("send").disabled = (count === 0 && !files) || count > MESSAGE_MAX;
  $("send").textContent = editing ? "Save" : "Send";
  // Grow with the text, up to a third of the screen (CSS caps it).
  input.style.height = "auto";
  input.style.height = `${input.scrollHeight}px`;
}

async function submit() {
  const id = store.openId;
  const input = $("message-input");
  // Files go with the words once every one of them has uploaded.
  const ready = editing || !id ? { attachments: [] } : readyAttachments(id);
  if (ready.waiting) {
    $("composer-error").textContent = ready.waiting;
    return;
  }
  const problem = checkBody(input.value, ready.attachments.length > 0);
  $("composer-error").textContent = problem;
  if (problem || !id) return;
  const body = input.value.trim();
  if (editing) {
    const target = editing;
    if (body === target.body) return stopEdit();
    try {
      const message = await api.edit(id, target.id, body);
      timeline(id).put(message, store.me.id);
      stopEdit();
      changed("chat", "conversations");
    } catch (error) {
      $("composer-error").textContent = error.message;
    }
    return;
  }
  input.value = "";
  updateComposer();
  sendTyping(false);
  // The quote it will carry, as the server will write it (shown while it is pending).
  const reply_to = replying && {
    id: replying.id, seq: replying.seq, sender_id: replying.sender.id,
    sender_name: replying.sender.display_name, excerpt: replying.body.slice(0, 200), deleted: false,
  };
  stopReply();
  const pending = {
    client_id: crypto.randomUUID(), body, reply_to, attachments: ready.attachments,
    created_at: new Date().toISOString(), state: "sending", error: "",
  };
  clearStaged(id);
  timeline(id).pending.push(pending);
  renderLog(store.conversations.get(id), { forceBottom: true });
  await deliver(id, pending);
}

/** Shows a conversation (loading its history the first time). */
export async function openConversation(id) {
  const conversation = store.conversations.get(id);
  if (!conversation) return;
  if (store.openId !== id) {
    stopEdit();
    stopReply();
    $("composer-error").textContent = "";
    for (const entry of rendered.values()) entry.node.remove();
    rendered.clear();
    log().replaceChildren();
    $("invite-box").hidden = true;
    $("roster").hidden = true;
    $("roster-toggle").setAttribute("aria-expanded", "false");
    $("chat-main").querySelector(".chat-head").classList.remove("menu-open");
  }
  const opening = store.openId !== id;
  if (opening) {
    // The line goes after what I had read when I came in (null: nothing unread).
    unreadAfterSeq = conversation.unread_count > 0 ? conversation.read_marks?.[store.me.id] ?? null : null;
    selectedId = null;
  }
  store.openId = id;
  $("app").dataset.view = "chat";
  changed("chat", "conversations");
  const t = timeline(id);
  try {
    if (!t.loaded) await loadLatest(id);
    if (opening && unreadAfterSeq === null && (store.conversations.get(id)?.unread_count ?? 0) > 0) {
      // The list did not carry my read mark; the conversation's own answer does.
      unreadAfterSeq = store.conversations.get(id)?.read_marks?.[store.me.id] ?? 0;
    }
    // Scroll back far enough to show where the unread messages begin.
    for (let page = 0; opening && unreadAfterSeq !== null && t.hasMore && t.oldestSeq > unreadAfterSeq + 1 && page < UNREAD_PAGES_MAX; page += 1) {
      if (!(await loadOlder(id))) break;
    }
  } catch (error) {
    toast(error.message, "error");
  }
  if (store.openId !== id) return;
  renderLog(store.conversations.get(id) ?? conversation, { forceBottom: true });
  const line = opening && document.getElementById("unread-line");
  const above = line ? line.getBoundingClientRect().top - log().getBoundingClientRect().top : 0;
  if (line && above < 48) {
    // More unread than fits: start at the line, a little of what came before above it.
    log().scrollTop += above - 48;
    renderJump();
  }
  if (!matchMedia("(pointer: coarse)").matches) $("message-input").focus();
}

/** Opens a conversation at message `seq` (a search result), loading history back to it. */
export async function showMessage(conversationId, seq) {
  await openConversation(conversationId);
  if (store.openId === conversationId) await jumpTo(conversationId, seq, SEARCH_PAGES_MAX);
}

export function closeConversation() {
  store.openId = null;
  unreadAfterSeq = null;
  $("app").dataset.view = "list";
  changed("chat", "conversations");
}

/** Shakes the window, MSN style (a flash instead when motion is reduced). */
export function shake() {
  const app = $("app");
  app.classList.remove("shake");
  void app.offsetWidth; // restart the animation
  app.classList.add("shake");
  setTimeout(() => app.classList.remove("shake"), 700);
}

export function showInvite() {
  $("invite-box").hidden = false;
  $("invite-link").select();
}

export function setupChat() {
  subscribe("chat", render);
  window.addEventListener("focus", scheduleRead);
  document.addEventListener("visibilitychange", scheduleRead);
  // The typing line expires by itself; refresh it now and then.
  setInterval(() => store.openId && renderTyping(store.openId), 1000);

  const input = $("message-input");
  input.addEventListener("input", () => {
    updateComposer();
    $("composer-error").textContent = "";
    if (editing) return;
    if (input.value.trim() && Date.now() - lastTypingSent > TYPING_REPEAT_MS) sendTyping(true);
    if (!input.value.trim()) sendTyping(false);
  });
  input.addEventListener("keydown", (event) => {
    // On a touch screen Enter breaks the line (its keyboard has no Shift+Enter); Send sends.
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing && !touchScreen()) {
      event.preventDefault();
      submit();
    } else if (event.key === "Escape" && (editing || replying)) {
      event.preventDefault();
      stopEdit();
      stopReply();
    } else if (event.key === "ArrowUp" && !input.value && store.openId) {
      // Up in an empty composer edits my last message, as in Slack.
      const mine = timeline(store.openId).sorted().filter((m) => m.sender.id === store.me.id && !m.deleted);
      if (mine.length) {
        event.preventDefault();
        startEdit(mine[mine.length - 1]);
      }
    }
  });
  $("composer").addEventListener("submit", (event) => {
    event.preventDefault();
    submit();
  });
  $("cancel-edit").addEventListener("click", stopEdit);
  setupAttachments({ current: () => store.openId, changed: () => changed("chat") });
  setupMentionCompletion(() => {
    const conversation = store.conversations.get(store.openId);
    if (conversation?.kind !== "room") return [];
    return (conversation.members ?? []).filter((m) => m.id !== store.me.id).map(bestKnown);
  });
  $("emoji-button").addEventListener("click", async () => {
    const emoji = await pickEmoji("Insert an emoji");
    const input = $("message-input");
    if (emoji) {
      input.setRangeText(emoji, input.selectionStart, input.selectionEnd, "end");
      updateComposer();
    }
    input.focus();
  });
  $("cancel-reply").addEventListener("click", () => {
    stopReply();
    $("message-input").focus();
  });

  // A tap on a bubble shows its actions (a touch screen has no hover); a tap elsewhere
  // puts them away again.
  log().addEventListener("click", (event) => {
    if (!touchScreen() || event.target.closest("button, a")) return;
    const id = event.target.closest(".msg[data-id]")?.dataset.id ?? null;
    selectedId = id === selectedId ? null : id;
    changed("chat");
  });
  $("jump-down").addEventListener("click", () => {
    scrollToBottom();
    renderJump();
  });
  log().addEventListener("scroll", async () => {
    scheduleRead();
    renderJump();
    if (log().scrollTop < 120 && store.openId) {
      try {
        await loadOlder(store.openId);
      } catch (error) {
        toast(error.message, "error");
      }
    }
  });

  $("back").addEventListener("click", closeConversation);
  // On a phone the actions sit in a menu: the button opens it, any choice closes it.
  const closeMenu = () => {
    $("chat-main").querySelector(".chat-head").classList.remove("menu-open");
    $("chat-menu").setAttribute("aria-expanded", "false");
  };
  $("chat-menu").addEventListener("click", () => {
    const open = $("chat-main").querySelector(".chat-head").classList.toggle("menu-open");
    $("chat-menu").setAttribute("aria-expanded", String(open));
  });
  $("chat-actions").addEventListener("click", (event) => event.target.closest("button") && closeMenu());
  $("nudge").addEventListener("click", async () => {
    const id = store.openId;
    try {
      await api.nudge(id);
      timeline(id).addNotice("You sent a nudge.");
      changed("chat");
      shake();
    } catch (error) {
      toast(error.status === 429 ? `You can nudge again in ${error.retryAfter || 1} s.` : error.message, "error");
    }
  });
  $("mute").addEventListener("click", async () => {
    const id = store.openId;
    const conversation = store.conversations.get(id);
    if (!conversation) return;
    try {
      const answer = await api.preferences(id, { muted: !conversation.muted });
      conversation.muted = answer.muted;
      changed("conversations", "chat");
    } catch (error) {
      toast(error.message, "error");
    }
  });
  $("hide-chat").addEventListener("click", async () => {
    const id = store.openId;
    try {
      await api.preferences(id, { hidden: true });
      store.conversations.delete(id);
      store.timelines.delete(id);
      closeConversation();
      toast("Chat hidden. It comes back with the next message.");
    } catch (error) {
      toast(error.message, "error");
    }
  });
  $("invite").addEventListener("click", () => {
    if ($("invite-box").hidden) showInvite();
    else $("invite-box").hidden = true;
  });
  $("copy-invite").addEventListener("click", async () => {
    $("invite-link").select();
    try {
      await navigator.clipboard.writeText($("invite-link").value);
      $("copy-invite").textContent = "Copied";
    } catch {
      $("copy-invite").textContent = "Press Ctrl+C";
    }
    setTimeout(() => ($("copy-invite").textContent = "Copy"), 2000);
  });
  $("roster-toggle").addEventListener("click", () => {
    const roster = $("roster");
    roster.hidden = !roster.hidden;
    $("roster-toggle").setAttribute("aria-expanded", String(!roster.hidden));
    const conversation = store.conversations.get(store.openId);
    if (!roster.hidden && conversation) renderBans(conversation);
  });
  $("leave").addEventListener("click", async () => {
    const id = store.openId;
    const conversation = store.conversations.get(id);
    if (!conversation || !confirm(`Leave ${conversationTitle(conversation)}?`)) return;
    try {
      await api.leave(id);
      store.conversations.delete(id);
      store.timelines.delete(id);
      closeConversation();
    } catch (error) {
      toast(error.message, "error");
    }
  });
  updateComposer();
}
