// The conversation list: direct conversations and rooms together, most recent first, with
// the last message, unread badges and typing. Joining and creating rooms: rooms-view.js.

import { formatWhen, h, initial, replaceChildren } from "./dom.js";

import { messageSummary } from "./format.js";
import {
  bestKnown, conversationTitle, otherMember, sortedConversations, store, subscribe, typingNames,
} from "./state.js";
import { avatar } from "./widgets.js";

const $ = (id) => document.getElementById(id);

function preview(conversation) {
  const typing = typingNames(conversation.id);
  if (typing.length) return h("em", {}, typing.length === 1 ? `${typing[0]} is typing…` : "Several people are typing…");
  const last = conversation.last_message;
  if (!last) return conversation.kind === "room" ? "No messages yet" : "Say hello";
  const who = last.sender.id === store.me.id ? "You" : bestKnown(last.sender).display_name;
  return `${who}: ${last.deleted ? "message deleted" : messageSummary(last)}`;
}

function row(conversation, open) {
  const title = conversationTitle(conversation);
  const other = conversation.kind === "direct" ? bestKnown(otherMember(conversation)) : null;
  const unread = conversation.unread_count || 0;
  const icon = other
    ? avatar(other, other.presence)
    : h("span", { class: "avatar room", "aria-hidden": "true" }, conversation.name ? "#" : initial("🔒"));
  const mentions = conversation.mention_count || 0;
  const label = `${title}${unread ? `, ${unread} unread` : ""}${mentions ? `, ${mentions} mentioning you` : ""}`;
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
        h("span", { class: "name" }, title, conversation.muted ? h("span", { class: "muted-mark", title: "Muted", "aria-label": "muted" }, " 🔕") : null),
        h("span", { class: "muted small preview" }, preview(conversation))),
      h("span", { class: "row-meta" },
        conversation.last_message ? h("time", { class: "muted small", datetime: conversation.last_message.created_at }, formatWhen(conversation.last_message.created_at)) : null,
        mentions ? h("span", { class: "badge mention-badge", "aria-hidden": "true", title: "Mentions of you" }, `@${mentions > 9 ? "9+" : mentions}`) : null,
        unread ? h("span", { class: `badge${conversation.muted ? " quiet" : ""}`, "aria-hidden": "true" }, unread > 99 ? "99+" : String(unread)) : null)));
}

function render(open) {
  const list = sortedConversations();
  replaceChildren($("conversation-list"),
    list.length ? list.map((c) => row(c, open)) : h("li", { class: "muted empty" }, "No conversations yet. Chat with a friend, or join a room such as “lobby”."));
}

/** Wires the list. `open(id)` shows a conversation. */
export function setupConversations({ open }) {
  subscribe("conversations", () => render(open));
}
