// The conversation list: direct conversations and rooms together, most recent first, with
// the last message, unread badges and typing; joining a room by name, creating a private one.

import { api } from "./api.js";
import { formatWhen, h, initial, replaceChildren } from "./dom.js";
import { checkRoom, isPrivateRoomId, normaliseRoom } from "./limits.js";
import { avatar, toast } from "./contacts-view.js";
import {
  bestKnown, conversationTitle, otherMember, sortedConversations, store, subscribe, typingNames,
} from "./state.js";
import { fieldError } from "./auth-view.js";

const $ = (id) => document.getElementById(id);

function preview(conversation) {
  const typing = typingNames(conversation.id);
  if (typing.length) return h("em", {}, typing.length === 1 ? `${typing[0]} is typing…` : "Several people are typing…");
  const last = conversation.last_message;
  if (!last) return conversation.kind === "room" ? "No messages yet" : "Say hello";
  const who = last.sender.id === store.me.id ? "You" : bestKnown(last.sender).display_name;
  return `${who}: ${last.deleted ? "message deleted" : last.body.replace(/\s+/g, " ")}`;
}

function row(conversation, open) {
  const title = conversationTitle(conversation);
  const other = conversation.kind === "direct" ? bestKnown(otherMember(conversation)) : null;
  const unread = conversation.unread_count || 0;
  const icon = other
    ? avatar(other, other.presence)
    : h("span", { class: "avatar room", "aria-hidden": "true" }, conversation.name ? "#" : initial("🔒"));
  const label = `${title}${unread ? `, ${unread} unread` : ""}`;
  return h("li", { class: "row", dataset: { id: conversation.id, kind: conversation.kind } },
    h("button", {
      type: "button",
      class: "row-main conversation",
      "aria-current": store.openId === conversation.id ? "true" : false,
      "aria-label": label,
      onclick: () => open(conversation.id),
    },
      icon,
      h("span", { class: "row-text" },
        h("span", { class: "name" }, title),
        h("span", { class: "muted small preview" }, preview(conversation))),
      h("span", { class: "row-meta" },
        conversation.last_message ? h("time", { class: "muted small", datetime: conversation.last_message.created_at }, formatWhen(conversation.last_message.created_at)) : null,
        unread ? h("span", { class: "badge", "aria-hidden": "true" }, unread > 99 ? "99+" : String(unread)) : null)));
}

function render(open) {
  const list = sortedConversations();
  replaceChildren($("conversation-list"),
    list.length ? list.map((c) => row(c, open)) : h("li", { class: "muted empty" }, "No conversations yet. Chat with a friend, or join a room such as “lobby”."));
}

/**
 * Joins a public room by name (creating it when nobody has: the edge chat demo's rule) or a
 * private room by its id. Resolves to the conversation.
 */
export async function joinOrCreate(name) {
  try {
    return await api.joinRoom(name);
  } catch (error) {
    if (error.status !== 404 || isPrivateRoomId(name)) throw error;
  }
  try {
    return await api.createRoom(name);
  } catch (error) {
    // Someone created it between our two requests: join theirs.
    if (error.code === "room_exists") return api.joinRoom(name);
    throw error;
  }
}

/** Wires the list. `open(id)` shows a conversation; `joined(conversation)` records one. */
export function setupConversations({ open, joined }) {
  subscribe("conversations", () => render(open));

  const input = $("join-room-input");
  input.addEventListener("input", () => fieldError("join-room-input", ""));
  $("join-room").addEventListener("submit", async (event) => {
    event.preventDefault();
    const name = normaliseRoom(input.value);
    const problem = checkRoom(name);
    if (!fieldError("join-room-input", problem)) return;
    try {
      const room = await joinOrCreate(name);
      input.value = "";
      joined(room);
    } catch (error) {
      fieldError("join-room-input", error.code === "not_found" ? "No such room." : error.message);
    }
  });

  $("new-private-room").addEventListener("click", async () => {
    try {
      const room = await api.createRoom();
      joined(room, { showInvite: true });
    } catch (error) {
      toast(error.message, "error");
    }
  });
}
