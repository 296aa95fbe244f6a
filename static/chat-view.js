// The chat pane: the open conversation's header (who, presence or topic, the actions),
// the typing line, the room roster and invite link, and the phone's one-pane layout. The
// log (chat-log.js) and the composer (composer.js) are its two halves.

import { api } from "./api.js";
import { renderStaged } from "./attachments-view.js";
import {
  jumpTo, renderLog, resetLog, scheduleRead, setUnreadLineAfter, setupLog, showUnreadLine, unreadLineAfter,
} from "./chat-log.js";
import { resetComposer, setupComposer, updateComposer } from "./composer.js";
import { formatAgo, h, replaceChildren } from "./dom.js";
import { inviteKey, renderBans, renderModerationHeader, renderRoster } from "./moderation-view.js";
import {
  changed, conversationTitle, forgetConversation, loadLatest, loadOlder, otherMember, presenceStale, setOpen,
  store, subscribe, timeline, typingNames, updateConversation,
} from "./state.js";
import { toast } from "./widgets.js";

const $ = (id) => document.getElementById(id);

const PRESENCE_TEXT = { online: "Online", away: "Away", busy: "Busy", offline: "Offline" };
/** How many older pages opening a conversation loads to reach its first unread message. */
const UNREAD_PAGES_MAX = 10;
// How far back a search result may be loaded to show it in place (pages of 50).
const SEARCH_PAGES_MAX = 50;

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

/** Shows a conversation (loading its history the first time). */
export async function openConversation(id) {
  const conversation = store.conversations.get(id);
  if (!conversation) return;
  const opening = store.openId !== id;
  if (opening) {
    resetComposer();
    // The line goes after what I had read when I came in (null: nothing unread).
    resetLog(conversation.unread_count > 0 ? conversation.read_marks?.[store.me.id] ?? null : null);
    $("invite-box").hidden = true;
    $("roster").hidden = true;
    $("roster-toggle").setAttribute("aria-expanded", "false");
    $("chat-main").querySelector(".chat-head").classList.remove("menu-open");
  }
  setOpen(id);
  $("app").dataset.view = "chat";
  changed("chat", "conversations");
  const t = timeline(id);
  try {
    if (!t.loaded) await loadLatest(id);
    if (opening && unreadLineAfter() === null && (store.conversations.get(id)?.unread_count ?? 0) > 0) {
      // The list did not carry my read mark; the conversation's own answer does.
      setUnreadLineAfter(store.conversations.get(id)?.read_marks?.[store.me.id] ?? 0);
    }
    // Scroll back far enough to show where the unread messages begin.
    for (let page = 0; opening && unreadLineAfter() !== null && t.hasMore && t.oldestSeq > unreadLineAfter() + 1 && page < UNREAD_PAGES_MAX; page += 1) {
      if (!(await loadOlder(id))) break;
    }
  } catch (error) {
    toast(error.message, "error");
  }
  if (store.openId !== id) return;
  renderLog(store.conversations.get(id) ?? conversation, { forceBottom: true });
  // More unread than fits: start at the line, a little of what came before above it.
  if (opening) showUnreadLine();
  if (!matchMedia("(pointer: coarse)").matches) $("message-input").focus();
}

/** Opens a conversation at message `seq` (a search result), loading history back to it. */
export async function showMessage(conversationId, seq) {
  await openConversation(conversationId);
  if (store.openId === conversationId) await jumpTo(conversationId, seq, SEARCH_PAGES_MAX);
}

export function closeConversation() {
  setOpen(null);
  setUnreadLineAfter(null);
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
  // The typing line expires by itself; refresh it now and then.
  setInterval(() => store.openId && renderTyping(store.openId), 1000);
  setupLog();
  setupComposer({ onSending: (id) => renderLog(store.conversations.get(id), { forceBottom: true }) });

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
      updateConversation(conversation, { muted: answer.muted });
      changed("conversations", "chat");
    } catch (error) {
      toast(error.message, "error");
    }
  });
  $("hide-chat").addEventListener("click", async () => {
    const id = store.openId;
    try {
      await api.preferences(id, { hidden: true });
      forgetConversation(id);
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
      forgetConversation(id);
      closeConversation();
    } catch (error) {
      toast(error.message, "error");
    }
  });
}
