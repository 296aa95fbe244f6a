// The composer: writing, replying, editing and deleting. A send shows at once and stays
// until it is acknowledged, keyed by its `client_id` (a retry never makes a second
// message); one that got no verdict goes again by itself. Typing is told both ways.

import { api } from "./api.js";
import { clearStaged, hasStaged, readyAttachments, setupAttachments } from "./attachments-view.js";
import { touchScreen } from "./dom.js";
import { pickEmoji } from "./emoji-picker.js";
import { checkBody, length, MESSAGE_MAX } from "./limits.js";
import { setupMentionCompletion } from "./mention-completion.js";
import { advanceLastMessage, bestKnown, changed, raiseReadMark, store, timeline } from "./state.js";
import { toast } from "./widgets.js";

const $ = (id) => document.getElementById(id);

const TYPING_REPEAT_MS = 3000; // at most one "typing" per 3 s while typing (expiry is 6 s)
const COUNTER_FROM = MESSAGE_MAX - 500;

let editing = null; // the message being edited, or null
let replying = null; // the message the next send answers, or null
let lastTypingSent = 0;

/** Set by chat-view.js: `onSending(conversationId)`, a send has just been shown. */
const hooks = { onSending() {} };

/** The longest wait between two automatic resends of a message that did not go out. */
const RESEND_MAX_MS = 30_000;

/** Whether a failed send is worth sending again by itself: nothing reached a verdict. */
const resendable = (status) => status === 0 || status === 429 || status === 502 || status === 503 || status === 504;

/** Sends `pending` (again); a send that failed for want of an answer goes again by itself. */
export async function deliver(id, pending) {
  timeline(id).sendingAgain(pending);
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
    // No answer, a busy service or a rate limit: sent again by itself, with a growing
    // wait, until it goes out (the client id keeps it single however often it is tried).
    // Anything else (not friends any more, blocked) waits for the person.
    const automatic = resendable(error.status);
    const text =
      error.status === 0 ? "No connection. It goes out by itself once the chat is back."
      : error.status === 429 ? `Sending too fast: it goes out in ${error.retryAfter || 1} s.`
      : automatic ? "The chat service is unavailable. It goes out by itself once it is back."
      : error.message;
    if (!automatic) {
      timeline(id).sendFailed(pending, { error: text, automatic });
    } else {
      const attempts = (pending.attempts ?? 0) + 1;
      const backoff = Math.min(RESEND_MAX_MS, 1000 * 2 ** Math.min(attempts - 1, 5));
      const wait = error.status === 429 ? (error.retryAfter || 1) * 1000 : backoff / 2 + Math.random() * (backoff / 2);
      const timer = setTimeout(() => {
        if (timeline(id).pending.includes(pending)) deliver(id, pending);
      }, wait);
      timeline(id).sendFailed(pending, { error: text, automatic, attempts, timer });
    }
    changed("chat");
  }
}

/** Gives up a send that did not go out. */
export function discard(id, pending) {
  timeline(id).dropPending(pending);
  changed("chat");
}

/** Sends at once what is waiting to go out by itself (the event stream is back). */
export function retryFailed() {
  for (const [id, t] of store.timelines) {
    for (const p of t.pending) if (p.state === "failed" && p.automatic) deliver(id, p);
  }
}

export function startReply(message) {
  stopEdit();
  replying = message;
  const who = message.sender.id === store.me.id ? "yourself" : bestKnown(message.sender).display_name;
  $("replying-text").textContent = `Replying to ${who}: ${message.body.replace(/\s+/g, " ").slice(0, 120)}`;
  $("replying").hidden = false;
  $("message-input").focus();
}

export function stopReply() {
  replying = null;
  $("replying").hidden = true;
}

export function startEdit(message) {
  stopReply();
  editing = message;
  $("editing").hidden = false;
  const input = $("message-input");
  input.value = message.body;
  updateComposer();
  input.focus();
}

export function stopEdit() {
  editing = null;
  $("editing").hidden = true;
  $("message-input").value = "";
  updateComposer();
}

export async function deleteMessage(id, message) {
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

export function updateComposer() {
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
  timeline(id).addPending(pending);
  hooks.onSending(id);
  await deliver(id, pending);
}

/** A conversation opens: nothing half-written of the last one goes with it. */
export function resetComposer() {
  stopEdit();
  stopReply();
  $("composer-error").textContent = "";
}

export function setupComposer({ onSending }) {
  hooks.onSending = onSending;
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
  updateComposer();
}
