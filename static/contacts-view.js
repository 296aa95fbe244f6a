// The contact list, MSN style: my name, status message and presence at the top; add a
// friend with live suggestions; friend requests; friends grouped Online and Offline.

import { api } from "./api.js";
import { formatAgo, formatFull, h, replaceChildren } from "./dom.js";
import { checkStatus, STATUS_MAX } from "./limits.js";
import { changed, forgetFriend, loadFriends, presenceStale, setMe, store, subscribe } from "./state.js";
import { avatar, PRESENCE_LABELS, toast } from "./widgets.js";

const $ = (id) => document.getElementById(id);

function renderMe(actions) {
  const me = store.me;
  if (!me) return;
  const header = $("me");
  // Keep the status field while it is being edited: a re-render must not eat typing.
  if (header.contains(document.activeElement) && document.activeElement.id === "status-input") return;
  const status = h("input", {
    id: "status-input",
    class: "status-input",
    value: me.status_message,
    placeholder: "Share a quick message",
    maxlength: String(STATUS_MAX),
    "aria-label": "Status message",
    "aria-describedby": "status-error",
  });
  const statusError = h("p", { id: "status-error", class: "field-error" });
  const saveStatus = async () => {
    const value = status.value;
    if (value === store.me.status_message) return;
    const problem = checkStatus(value);
    statusError.textContent = problem;
    if (problem) return;
    try {
      setMe(await api.updateMe({ status_message: value }));
      changed("me");
    } catch (error) {
      statusError.textContent = error.message;
    }
  };
  status.addEventListener("keydown", (event) => {
    if (event.key === "Enter") {
      event.preventDefault();
      status.blur();
    } else if (event.key === "Escape") {
      status.value = store.me.status_message;
      status.blur();
    }
  });
  status.addEventListener("change", saveStatus);

  const picker = h("select", { id: "presence-select", "aria-label": "Presence" },
    ...["online", "away", "busy", "invisible"].map((p) =>
      h("option", { value: p, selected: me.presence === p }, PRESENCE_LABELS[p])));
  picker.addEventListener("change", async () => {
    try {
      setMe(await api.setPresence(picker.value));
      changed("me");
    } catch (error) {
      toast(error.message, "error");
      changed("me");
    }
  });

  replaceChildren(header,
    avatar(me, me.presence === "invisible" ? "offline" : me.presence),
    h("div", { class: "me-text" },
      h("p", { class: "me-name" }, h("strong", { id: "me-name" }, me.display_name), h("span", { class: "muted" }, ` @${me.username}`)),
      status,
      statusError,
      picker),
    h("button", { type: "button", class: "icon", "aria-label": "Settings", title: "Settings", onclick: actions.openSettings }, "⚙"));
}

function requestRow(request, incoming) {
  const other = incoming ? request.from : request.to;
  const act = (fn, done) => async () => {
    try {
      await fn(other.username);
      toast(done);
      await loadFriends();
    } catch (error) {
      toast(error.message, "error");
    }
  };
  return h("li", { class: "row", dataset: { username: other.username } },
    avatar(other),
    h("div", { class: "row-text" },
      h("span", { class: "name" }, other.display_name),
      h("span", { class: "muted small" }, incoming ? `@${other.username} wants to be your friend` : `Waiting for @${other.username}`)),
    h("div", { class: "row-actions" },
      incoming
        ? [
            h("button", { type: "button", class: "small primary", onclick: act(api.acceptFriend, `You and ${other.display_name} are now friends.`) }, "Accept"),
            h("button", { type: "button", class: "small", onclick: act(api.declineFriend, "Request declined.") }, "Decline"),
          ]
        : h("button", { type: "button", class: "small", onclick: act(api.cancelRequest, "Request cancelled.") }, "Cancel")));
}

function renderRequests() {
  const rows = [...store.incoming.map((r) => requestRow(r, true)), ...store.outgoing.map((r) => requestRow(r, false))];
  $("requests").hidden = rows.length === 0;
  replaceChildren($("request-list"), rows);
}

function friendRow({ user }, actions) {
  const menuId = `menu-${user.id}`;
  const menu = h("div", { class: "menu", id: menuId, hidden: true },
    h("button", { type: "button", onclick: async () => {
      if (!confirm(`Remove ${user.display_name} from your friends?`)) return;
      try {
        await api.removeFriend(user.username);
        forgetFriend(user.id);
        changed("contacts", "chat");
      } catch (error) {
        toast(error.message, "error");
      }
    } }, "Remove friend"),
    h("button", { type: "button", onclick: async () => {
      if (!confirm(`Block ${user.display_name}? They will no longer be able to find or message you.`)) return;
      try {
        await api.block(user.username);
        await loadFriends();
        toast(`${user.display_name} is blocked.`);
      } catch (error) {
        toast(error.message, "error");
      }
    } }, "Block"));
  const more = h("button", { type: "button", class: "icon", "aria-label": `More for ${user.display_name}`, "aria-expanded": "false", "aria-controls": menuId }, "⋯");
  more.addEventListener("click", () => {
    menu.hidden = !menu.hidden;
    more.setAttribute("aria-expanded", String(!menu.hidden));
  });
  return h("li", { class: "row contact", dataset: { username: user.username, presence: user.presence } },
    h("button", { type: "button", class: "row-main", onclick: () => actions.openDirect(user.username), "aria-label": `Chat with ${user.display_name}, ${PRESENCE_LABELS[user.presence]}` },
      avatar(user, user.presence),
      h("span", { class: "row-text" },
        h("span", { class: "name" }, user.display_name),
        h("span", { class: "muted small status", title: user.last_seen_at ? `Last seen ${formatFull(user.last_seen_at)}` : false },
          // The status in a <bdi> of its own: right-to-left words there cannot reorder
          // "Last seen" after them.
          user.status_message ? h("bdi", {}, user.status_message) : null,
          user.status_message && user.last_seen_at ? " · " : null,
          user.last_seen_at ? `Last seen ${formatAgo(user.last_seen_at)}`
            : user.status_message ? null : PRESENCE_LABELS[user.presence]))),
    more,
    menu);
}

function renderContacts(actions) {
  const friends = [...store.friends.values()].sort((a, b) => a.user.display_name.localeCompare(b.user.display_name));
  const group = (title, list, id) =>
    list.length === 0 ? null
    : h("section", { class: "group", "aria-labelledby": id },
        h("h3", { id }, `${title} (${list.length})`),
        h("ul", { class: "rows" }, list.map((f) => friendRow(f, actions))));
  let groups;
  if (friends.length === 0) groups = h("p", { class: "muted empty" }, "No friends yet. Add someone by their username above.");
  else if (presenceStale()) {
    // Disconnected: who is online is not known, so nobody is listed as online.
    groups = [h("p", { class: "muted small" }, "Presence is unknown until the chat reconnects."),
      group("Friends", friends.map((f) => ({ ...f, user: { ...f.user, presence: "unknown" } })), "group-all")];
  } else {
    groups = [group("Online", friends.filter((f) => f.user.presence !== "offline"), "group-online"),
      group("Offline", friends.filter((f) => f.user.presence === "offline"), "group-offline")];
  }
  replaceChildren($("contact-groups"), groups);
}

function setupAddFriend() {
  const input = $("add-friend-input");
  const list = $("suggestions");
  const status = $("add-friend-status");
  let timer = null;
  let asked = "";

  const close = () => {
    list.hidden = true;
    input.setAttribute("aria-expanded", "false");
  };
  const send = async (username) => {
    close();
    status.textContent = "";
    try {
      const result = await api.requestFriend(username);
      input.value = "";
      status.textContent = result.friend ? `You and @${username} are now friends.` : `Request sent to @${username}.`;
      setTimeout(() => (status.textContent = ""), 8000);
      await loadFriends();
    } catch (error) {
      status.textContent =
        error.code === "not_found" ? `Nobody is called @${username}.`
        : error.code === "already_friends" ? `@${username} is already your friend.`
        : error.code === "invalid_target" ? "That is you."
        : error.message;
    }
  };
  const suggest = async () => {
    const q = input.value.trim();
    if (!q || q === asked) {
      if (!q) close();
      return;
    }
    asked = q;
    try {
      const { users } = await api.searchUsers(q);
      if (input.value.trim() !== q) return;
      replaceChildren(list, users.map((u) => {
        const friend = store.friends.has(u.id);
        return h("li", { role: "option", "aria-selected": "false" },
          h("button", { type: "button", class: "suggestion", disabled: friend, dataset: { username: u.username }, onclick: () => send(u.username) },
            avatar(u),
            h("span", { class: "name" }, u.display_name),
            h("span", { class: "muted small" }, friend ? `@${u.username} · friend` : `@${u.username}`)));
      }));
      list.hidden = users.length === 0;
      input.setAttribute("aria-expanded", String(users.length > 0));
    } catch {
      close();
    }
  };
  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(suggest, 200);
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "ArrowDown" && !list.hidden) {
      event.preventDefault();
      list.querySelector("button:not([disabled])")?.focus();
    } else if (event.key === "Escape") close();
  });
  list.addEventListener("keydown", (event) => {
    const buttons = [...list.querySelectorAll("button:not([disabled])")];
    const at = buttons.indexOf(document.activeElement);
    if (event.key === "ArrowDown") buttons[Math.min(at + 1, buttons.length - 1)]?.focus();
    else if (event.key === "ArrowUp") (at <= 0 ? input : buttons[at - 1]).focus();
    else if (event.key === "Escape") {
      close();
      input.focus();
    } else return;
    event.preventDefault();
  });
  $("add-friend").addEventListener("focusout", (event) => {
    if (!$("add-friend").contains(event.relatedTarget)) close();
  });
  $("add-friend").addEventListener("submit", (event) => {
    event.preventDefault();
    const username = input.value.trim().toLowerCase().replace(/^@/, "");
    if (username) send(username);
  });
}

/** Wires the contact list. `actions`: `openDirect(username)`, `openSettings()`. */
export function setupContacts(actions) {
  setupAddFriend();
  subscribe("me", () => renderMe(actions));
  subscribe("contacts", () => {
    renderRequests();
    renderContacts(actions);
  });
  subscribe("connection", () => renderContacts(actions));
}
