// Rooms beyond the conversation list: the directory of public rooms (search, join), the
// dialog that names a new private room or changes a room's name and topic, and joining a
// public room by name, which asks before it creates one that does not exist.

import { api } from "./api.js";
import { h, replaceChildren } from "./dom.js";
import { checkRoom, checkTitle, checkTopic, isPrivateRoomId, normaliseRoom, TITLE_MAX } from "./limits.js";

import { changed, conversationTitle, store } from "./state.js";
import { fieldError, toast } from "./widgets.js";

const $ = (id) => document.getElementById(id);
const SEARCH_DELAY_MS = 250;

let joinedHook = () => {};

// Joining by name.

/** The name waiting for "Create it?", or null. */
let offered = null;

function offerCreation(name) {
  offered = name;
  $("join-confirm-text").textContent = `There is no #${name} yet.`;
  $("create-room-confirm").textContent = `Create #${name}`;
  $("join-confirm").hidden = false;
  $("create-room-confirm").focus();
}

function withdrawOffer() {
  offered = null;
  $("join-confirm").hidden = true;
}

/**
 * Joins a public room by name, or a private room by its id. A public name nobody has
 * taken is offered for creation instead of created: a typo must not leave a room behind.
 */
async function joinByName(name) {
  try {
    joinedHook(await api.joinRoom(name));
    $("join-room-input").value = "";
    withdrawOffer();
  } catch (error) {
    if (error.status === 404 && !isPrivateRoomId(name)) offerCreation(name);
    else fieldError("join-room-input", error.code === "not_found" ? "No such room." : error.message);
  }
}

async function createOffered() {
  const name = offered;
  if (!name) return;
  try {
    joinedHook(await api.createRoom({ name }), { showInvite: true });
  } catch (error) {
    // Someone created it between the question and the answer: join theirs.
    if (error.code !== "room_exists") {
      fieldError("join-room-input", error.message);
      return;
    }
    joinedHook(await api.joinRoom(name));
  }
  $("join-room-input").value = "";
  withdrawOffer();
}

// The directory.

let searchTimer = null;
let shown = { q: "", rooms: [], hasMore: false };

function roomRow(room) {
  const members = `${room.member_count} member${room.member_count === 1 ? "" : "s"}`;
  return h("li", { class: "row directory-room", dataset: { name: room.name } },
    h("span", { class: "avatar room", "aria-hidden": "true" }, "#"),
    h("span", { class: "row-text" },
      h("span", { class: "name" }, `#${room.name}`),
      h("span", { class: "muted small", dir: "auto" }, room.topic ? `${members} · ${room.topic}` : members)),
    h("button", {
      type: "button",
      class: `small${room.joined ? "" : " primary"}`,
      "aria-label": `${room.joined ? "Open" : "Join"} #${room.name}`,
      onclick: async () => {
        $("rooms-dialog").close();
        await joinByName(room.name);
      },
    }, room.joined ? "Open" : "Join"));
}

function renderDirectory() {
  const list = $("rooms-list");
  replaceChildren(list, shown.rooms.length
    ? shown.rooms.map(roomRow)
    : h("li", { class: "muted empty" }, shown.q ? `No public room matches “${shown.q}”.` : "No public rooms yet. Create one by joining a name."));
  $("rooms-more").hidden = !shown.hasMore;
}

async function loadDirectory(q, { more = false } = {}) {
  try {
    const page = await api.rooms(q, more ? shown.rooms.length : 0);
    if ($("rooms-search").value.trim() !== q) return; // typed on meanwhile
    shown = { q, rooms: more ? [...shown.rooms, ...page.rooms] : page.rooms, hasMore: page.has_more };
    $("rooms-status").textContent = "";
    renderDirectory();
  } catch (error) {
    $("rooms-status").textContent = error.status === 429 ? `Searching too fast: wait ${error.retryAfter || 1} s.` : error.message;
  }
}

export function openDirectory() {
  $("rooms-search").value = "";
  $("rooms-status").textContent = "";
  shown = { q: "", rooms: [], hasMore: false };
  renderDirectory();
  $("rooms-dialog").showModal();
  $("rooms-search").focus();
  loadDirectory("");
}

// Naming a private room, or changing a room's name and topic.

/** The room being edited, or null while a new private room is being made. */
let editing = null;

function openRoomDialog(room) {
  editing = room;
  const publicRoom = Boolean(room?.name);
  $("room-dialog-title").textContent = room ? `${conversationTitle(room)}: name and topic` : "New private room";
  $("room-title-field").hidden = publicRoom;
  $("room-title").value = room?.title ?? "";
  $("room-topic").value = room?.topic ?? "";
  $("room-save").textContent = room ? "Save" : "Create";
  $("room-form-error").textContent = "";
  for (const id of ["room-title", "room-topic"]) fieldError(id, "");
  $("room-dialog").showModal();
  (publicRoom ? $("room-topic") : $("room-title")).focus();
}

export const openNewPrivateRoom = () => openRoomDialog(null);

/** The open room's name and topic. */
export function openRoomDetails() {
  const room = store.conversations.get(store.openId);
  if (room?.kind === "room") openRoomDialog(room);
}

async function saveRoom() {
  const title = $("room-title").value;
  const topic = $("room-topic").value;
  const publicRoom = Boolean(editing?.name);
  const ok = (publicRoom || fieldError("room-title", checkTitle(title))) & fieldError("room-topic", checkTopic(topic));
  if (!ok) return;
  const fields = publicRoom ? { topic: topic.trim() } : { title: title.trim(), topic: topic.trim() };
  try {
    if (editing) {
      const room = await api.updateRoom(editing.id, fields);
      const known = store.conversations.get(room.id);
      if (known) Object.assign(known, { title: room.title, topic: room.topic });
      changed("conversations", "chat");
    } else {
      joinedHook(await api.createRoom(fields), { showInvite: true });
    }
    $("room-dialog").close();
  } catch (error) {
    if (error.code === "invalid_title") fieldError("room-title", error.message);
    else if (error.code === "invalid_topic") fieldError("room-topic", error.message);
    else $("room-form-error").textContent = error.status === 429 ? `Too many changes: wait ${error.retryAfter || 1} s.` : error.message;
  }
}

/** Wires the rooms' controls; `joined(conversation, options)` records and opens a room. */
export function setupRooms({ joined }) {
  joinedHook = joined;

  const input = $("join-room-input");
  input.addEventListener("input", () => {
    fieldError("join-room-input", "");
    withdrawOffer();
  });
  $("join-room").addEventListener("submit", (event) => {
    event.preventDefault();
    const name = normaliseRoom(input.value);
    if (!fieldError("join-room-input", checkRoom(name))) return;
    joinByName(name);
  });
  $("create-room-confirm").addEventListener("click", createOffered);
  $("create-room-cancel").addEventListener("click", () => {
    withdrawOffer();
    input.focus();
  });

  $("browse-rooms").addEventListener("click", openDirectory);
  $("rooms-search").addEventListener("input", () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => loadDirectory($("rooms-search").value.trim()), SEARCH_DELAY_MS);
  });
  $("rooms-more").addEventListener("click", () => loadDirectory(shown.q, { more: true }));

  $("new-private-room").addEventListener("click", openNewPrivateRoom);
  $("room-title").maxLength = TITLE_MAX;
  $("room-form").addEventListener("submit", (event) => {
    event.preventDefault();
    saveRoom();
  });
  $("room-cancel").addEventListener("click", () => $("room-dialog").close());
  $("room-details").addEventListener("click", openRoomDetails);
}

/** Asks before joining the room of an invite link: a link someone sent does nothing by
 * itself. Resolves whether the person chose to join. */
function askToJoin(nameOrId) {
  const dialog = $("invite-dialog");
  $("invite-dialog-text").textContent = /^[0-9a-f]{64}$/.test(nameOrId)
    ? "Someone sent you an invite to a private room. Its members will see that you joined."
    : `Someone sent you an invite to the public room #${nameOrId}. Its members will see that you joined.`;
  return new Promise((resolve) => {
    const done = (answer) => {
      $("invite-accept").onclick = null;
      $("invite-decline").onclick = null;
      dialog.onclose = null;
      if (dialog.open) dialog.close();
      resolve(answer);
    };
    $("invite-accept").onclick = () => done(true);
    $("invite-decline").onclick = () => done(false);
    dialog.onclose = () => done(false);
    dialog.showModal();
    $("invite-accept").focus();
  });
}

/** Joins the room of an invite link once the person says so (never creates one); a dead
 * link says so. */
export async function followInviteTo(nameOrId) {
  if (!(await askToJoin(nameOrId))) return;
  try {
    joinedHook(await api.joinRoom(nameOrId));
  } catch (error) {
    toast(error.code === "not_found" ? "That invite link is not valid (the room may be gone)." : error.message, "error");
  }
}
