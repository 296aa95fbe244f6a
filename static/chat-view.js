// The chat pane: the history with scroll-back paging and day separators, own messages
// with edit and delete, optimistic sends keyed by `client_id` (a retry never duplicates),
// typing both ways, "Seen" receipts, read marks for what is on screen in a focused tab,
// nudges, the room roster and invite link.

import { api } from "./api.js";
import { dayKey, formatDay, formatTime, h, linkify, replaceChildren } from "./dom.js";
import { checkBody, length, MESSAGE_MAX } from "./limits.js";
import { avatar, toast } from "./contacts-view.js";
import {
  advanceLastMessage, bestKnown, changed, conversationTitle, loadLatest, loadOlder, otherMember,
  raiseReadMark, store, subscribe, timeline, typingNames,
} from "./state.js";

const $ = (id) => document.getElementById(id);

const TYPING_REPEAT_MS = 3000; // at most one "typing" per 3 s while typing (expiry is 6 s)
const COUNTER_FROM = MESSAGE_MAX - 500;
const PRESENCE_TEXT = { online: "Online", away: "Away", busy: "Busy", offline: "Offline" };

let editing = null; // the message being edited, or null
let lastTypingSent = 0;
const rendered = new Map(); // log item key -> {node, version}
let readTimer = null;

const log = () => $("log");

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

function messageNode(message, conversation, seenSeq) {
  const mine = message.sender.id === store.me.id;
  const sender = bestKnown(message.sender);
  const body = message.deleted
    ? h("p", { class: "body tombstone" }, "This message was deleted.")
    : h("p", { class: "body" }, linkify(message.body));
  const actions = mine && !message.deleted
    ? h("div", { class: "msg-actions" },
        h("button", { type: "button", class: "small", onclick: () => startEdit(message), "aria-label": "Edit message" }, "Edit"),
        h("button", { type: "button", class: "small", onclick: () => deleteMessage(conversation.id, message), "aria-label": "Delete message" }, "Delete"))
    : null;
  return h("article", {
    class: `msg${mine ? " mine" : ""}${message.deleted ? " deleted" : ""}`,
    dataset: { seq: String(message.seq), id: message.id },
    "aria-label": `${sender.display_name} at ${formatTime(message.created_at)}`,
  },
    h("header", { class: "msg-head" },
      h("span", { class: "sender" }, mine ? "You" : sender.display_name),
      h("time", { datetime: message.created_at, class: "muted small" }, formatTime(message.created_at)),
      message.edited_at && !message.deleted ? h("span", { class: "muted small edited", title: `Edited ${formatTime(message.edited_at)}` }, "(edited)") : null),
    body,
    actions,
    seenSeq === message.seq ? h("p", { class: "seen muted small" }, "Seen") : null);
}

function pendingNode(conversationId, pending) {
  const failed = pending.state === "failed";
  return h("article", { class: `msg mine pending${failed ? " failed" : ""}`, dataset: { clientId: pending.client_id } },
    h("header", { class: "msg-head" }, h("span", { class: "sender" }, "You"),
      h("span", { class: "muted small" }, failed ? "Not sent" : "Sending…")),
    h("p", { class: "body" }, linkify(pending.body)),
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
  // "Seen" goes under my newest message the other side has read.
  let seenSeq = 0;
  if (other) for (const m of messages) if (m.sender.id === store.me.id && m.seq <= otherRead) seenSeq = m.seq;

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
  for (const entry of entries) {
    separate(entry.at);
    if (entry.message) {
      const m = entry.message;
      const name = bestKnown(m.sender).display_name;
      items.push({
        key: `m-${m.id}`,
        version: `${m.edited_at}|${m.deleted}|${m.body}|${seenSeq === m.seq}|${name}`,
        build: () => messageNode(m, conversation, seenSeq),
      });
    } else {
      const n = entry.notice;
      items.push({ key: `n-${n.afterSeq}-${entry.order[2]}`, version: n.text, build: () => h("p", { class: "notice muted small" }, n.text) });
    }
  }
  for (const p of t.pending) {
    separate(p.created_at);
    items.push({ key: `p-${p.client_id}`, version: `${p.state}|${p.error}`, build: () => pendingNode(conversation.id, p) });
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
}

function renderHeader(conversation) {
  $("chat-title").textContent = conversationTitle(conversation);
  const direct = conversation.kind === "direct";
  let subtitle;
  if (direct) {
    const other = otherMember(conversation);
    const friend = other && store.friends.get(other.id);
    subtitle = friend
      ? [PRESENCE_TEXT[friend.user.presence] ?? friend.user.presence, friend.user.status_message].filter(Boolean).join(" · ")
      : `@${other?.username ?? "?"} is not in your friends`;
  } else {
    const count = conversation.members?.length;
    subtitle = `${conversation.name ? "Public room" : "Private room"}${count ? ` · ${count} member${count === 1 ? "" : "s"}` : ""}`;
  }
  $("chat-subtitle").textContent = subtitle;
  $("nudge").hidden = !direct;
  $("invite").hidden = direct;
  $("leave").hidden = direct;
  $("roster-toggle").hidden = direct;
  if (direct) {
    $("roster").hidden = true;
    $("invite-box").hidden = true;
  }
  replaceChildren($("roster-list"), (conversation.members ?? []).map((member) => {
    const user = bestKnown(member);
    const friend = store.friends.get(member.id);
    return h("li", { class: "row" }, avatar(user, friend ? friend.user.presence : null),
      h("span", { class: "name" }, user.display_name, member.id === store.me.id ? " (you)" : ""));
  }));
  $("invite-link").value = `${location.origin}/#join=${conversation.name ?? conversation.id}`;
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

async function deliver(id, pending) {
  pending.state = "sending";
  changed("chat");
  try {
    const message = await api.send(id, pending.body, pending.client_id);
    timeline(id).put(message, store.me.id);
    const c = store.conversations.get(id);
    if (c) {
      advanceLastMessage(c, message);
      raiseReadMark(c, store.me.id, message.seq);
    }
    changed("chat", "conversations");
  } catch (error) {
    pending.state = "failed";
    // No answer, or 503 (the service, or every process behind a load balancer, is away
    // for a moment): sent again by itself once the event stream is back; the client id
    // keeps it single.
    pending.offline = error.status === 0 || error.status === 503;
    pending.error =
      error.status === 0 ? "No connection."
      : error.status === 503 ? "The service is unavailable; it is sent once it is back."
      : error.status === 429 ? `Sending too fast: wait ${error.retryAfter || 1} s.`
      : error.message;
    changed("chat");
  }
}

function discard(id, pending) {
  const t = timeline(id);
  t.pending = t.pending.filter((p) => p !== pending);
  changed("chat");
}

/** Sends what failed while the connection was down (the client id keeps it single). */
export function retryFailed() {
  for (const [id, t] of store.timelines) {
    for (const p of t.pending) if (p.state === "failed" && p.offline) deliver(id, p);
  }
}

function startEdit(message) {
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
  $("send").disabled = count === 0 || count > MESSAGE_MAX;
  $("send").textContent = editing ? "Save" : "Send";
  // Grow with the text, up to a third of the screen (CSS caps it).
  input.style.height = "auto";
  input.style.height = `${input.scrollHeight}px`;
}

async function submit() {
  const id = store.openId;
  const input = $("message-input");
  const problem = checkBody(input.value);
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
  const pending = { client_id: crypto.randomUUID(), body, created_at: new Date().toISOString(), state: "sending", error: "" };
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
    $("composer-error").textContent = "";
    for (const entry of rendered.values()) entry.node.remove();
    rendered.clear();
    log().replaceChildren();
    $("invite-box").hidden = true;
    $("roster").hidden = true;
    $("roster-toggle").setAttribute("aria-expanded", "false");
  }
  store.openId = id;
  $("app").dataset.view = "chat";
  changed("chat", "conversations");
  const t = timeline(id);
  try {
    if (!t.loaded) await loadLatest(id);
  } catch (error) {
    toast(error.message, "error");
  }
  renderLog(store.conversations.get(id) ?? conversation, { forceBottom: true });
  if (!matchMedia("(pointer: coarse)").matches) $("message-input").focus();
}

export function closeConversation() {
  store.openId = null;
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
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      submit();
    } else if (event.key === "Escape" && editing) {
      event.preventDefault();
      stopEdit();
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

  log().addEventListener("scroll", async () => {
    scheduleRead();
    if (log().scrollTop < 120 && store.openId) {
      try {
        await loadOlder(store.openId);
      } catch (error) {
        toast(error.message, "error");
      }
    }
  });

  $("back").addEventListener("click", closeConversation);
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
