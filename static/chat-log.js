// The log of the open conversation: messages grouped by sender and day, quotes that jump
// to what they answer, reactions, "Seen" receipts, the "new messages" line and button,
// and sends still going out. Built as keyed items and reconciled, so a change touches
// only its own node. What is on screen in a focused tab is marked read.

import { api } from "./api.js";
import { attachmentsNode } from "./attachments-view.js";
import { deleteMessage, deliver, discard, startEdit, startReply } from "./composer.js";
import { dayKey, formatDay, formatFull, formatTime, h, touchScreen } from "./dom.js";
import { pickEmoji } from "./emoji-picker.js";
import { formatBody } from "./format.js";
import { moderationButtons } from "./moderation-view.js";
import {
  bestKnown, changed, loadOlder, otherMember, raiseReadMark, store, timeline, updateConversation,
} from "./state.js";
import { avatar, toast } from "./widgets.js";

const $ = (id) => document.getElementById(id);

/** Messages from one sender this close together share one header, as in every chat. */
const GROUP_WITHIN_MS = 5 * 60_000;
/** How many older pages a click on a quote loads, at most, to reach what it quotes. */
const QUOTE_PAGES_MAX = 20;
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

/** Whether this tab is one a person is looking at. */
const attentive = () => document.visibilityState === "visible" && document.hasFocus();

function isAtBottom() {
  const el = log();
  return el.scrollHeight - el.scrollTop - el.clientHeight < 48;
}

export function scrollToBottom() {
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
export async function jumpTo(conversationId, seq, pagesMax = QUOTE_PAGES_MAX) {
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

export function renderLog(conversation, { forceBottom = false } = {}) {
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
export function renderJump() {
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

export function scheduleRead() {
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
    updateConversation(conversation, { read_marks: { ...conversation.read_marks, [store.me.id]: mine } });
  }
}

/**
 * A conversation opens: the log starts empty, with the "new messages" line after
 * `unreadAfter` (null: none).
 */
export function resetLog(unreadAfter) {
  for (const entry of rendered.values()) entry.node.remove();
  rendered.clear();
  log().replaceChildren();
  unreadAfterSeq = unreadAfter;
  selectedId = null;
}

/** Where the "new messages" line goes (null: nowhere). */
export const unreadLineAfter = () => unreadAfterSeq;

export function setUnreadLineAfter(seq) {
  unreadAfterSeq = seq;
}

/** Scrolls to the "new messages" line when more is unread than fits, a little above it. */
export function showUnreadLine() {
  const line = document.getElementById("unread-line");
  const above = line ? line.getBoundingClientRect().top - log().getBoundingClientRect().top : 0;
  if (line && above < 48) {
    log().scrollTop += above - 48;
    renderJump();
  }
}

export function setupLog() {
  window.addEventListener("focus", scheduleRead);
  document.addEventListener("visibilitychange", scheduleRead);
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
}
