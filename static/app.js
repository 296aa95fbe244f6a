// The chat page's entry module: signs in (or finds the cookie session), loads the state,
// opens the one event stream of this tab, and wires the views together. Also the page's
// attention: the unread count in the title, desktop notifications, the connection banner.
// Everything user-supplied is rendered as text (dom.js), never as HTML.

import { api } from "./api.js";
import { rememberReturning, setupAuth, showAuth } from "./auth-view.js";
import { closeConversation, openConversation, setupChat, shake, showInvite, showMessage } from "./chat-view.js";
import { retryFailed } from "./composer.js";
import { setupContacts } from "./contacts-view.js";
import { setupConversations } from "./conversations-view.js";
import { applyEvent, hooks } from "./live.js";
import { normaliseRoom } from "./limits.js";
import { followInviteTo, setupRooms } from "./rooms-view.js";
import { openSettings, setupSettings } from "./settings-view.js";
import { setupSearch } from "./search-view.js";
import { reportFiled, setupModeration } from "./moderation-view.js";
import { setupPasskeyLogin } from "./passkeys-view.js";
import { messageSummary } from "./format.js";
import { setupEmojiPicker } from "./emoji-picker.js";
import { attention, play } from "./attention.js";
import {
  bestKnown, changed, conversationTitle, forgetEverything, loadAll, mergeConversation, setConnection, store,
  subscribe, timeline, totalUnread,
} from "./state.js";
import { EventStream } from "./stream.js";
import { toast } from "./widgets.js";

const $ = (id) => document.getElementById(id);
const NUDGE_FRESH_MS = 60_000;

const stream = new EventStream({
  onEvent: (type, data) => applyEvent(type, data),
  onState: (state, retryInMs = 0) => {
    const was = store.connection;
    setConnection(state, retryInMs);
    changed("connection", "chat");
    if (state === "signed_out") signedOut();
    if (state === "live" && was !== "live" && was !== "connecting") retryFailed();
  },
});

function renderBanner() {
  const banner = $("banner");
  const { connection, retryInMs } = store;
  const seconds = Math.max(1, Math.round(retryInMs / 1000));
  const text =
    connection === "reconnecting" ? "Reconnecting…"
    : connection === "unavailable" ? `The chat service is unavailable right now. Trying again in ${seconds} s; nothing you sent or missed will be lost.`
    : "";
  banner.textContent = text;
  banner.dataset.state = connection;
  banner.hidden = !text;
  // Presence is only as fresh as the event stream: while it is away, nobody's dot may
  // claim they are online (the views grey them all).
  $("app").dataset.connection = connection === "reconnecting" || connection === "unavailable" ? "stale" : "fresh";
}

function renderTitle() {
  const unread = totalUnread();
  document.title = unread ? `(${unread}) Chat` : "Chat";
}

// Attention hooks called by live.js.

hooks.onMessage = (conversation, message) => {
  const mentioned = message.mentions?.includes(store.me.username);
  if (conversation.muted && !mentioned) return;
  play("message");
  if (!document.hidden) return;
  if (!("Notification" in window) || Notification.permission !== "granted") return;
  const sender = bestKnown(message.sender).display_name;
  const title = conversation.kind === "direct" ? sender
    : mentioned ? `${sender} mentioned you in ${conversationTitle(conversation)}`
    : `${sender} in ${conversationTitle(conversation)}`;
  const notification = new Notification(title, { body: messageSummary(message).slice(0, 200), tag: conversation.id });
  notification.onclick = () => {
    window.focus();
    openConversation(conversation.id);
    notification.close();
  };
};

hooks.onNudge = (data) => {
  if (Math.abs(Date.now() - Date.parse(data.sent_at)) > NUDGE_FRESH_MS) return;
  shake();
  play("nudge");
  toast(`${data.display_name} sent you a nudge!`);
};

hooks.onNotification = (data) => {
  const text = typeof data.text === "string" ? data.text : typeof data.message === "string" ? data.message : "You have a new notification.";
  toast(text);
};

hooks.onSignedIn = (friend) => {
  if (!attention().signIns) return;
  play("signIn");
  toast(`${friend.display_name} has signed in.`);
  if (document.hidden && "Notification" in window && Notification.permission === "granted") {
    new Notification(`${friend.display_name} has signed in`, { tag: `signin-${friend.id}` });
  }
};

hooks.onRemoved = (id, removal) => {
  if (store.openId === id) closeConversation();
  if (removal) {
    const verb = removal.banned ? "banned you from" : "removed you from";
    toast(`${removal.by} ${verb} ${conversationTitle(removal.conversation)}.`, "error");
  }
};
hooks.onReport = reportFiled;

/** Opens (or creates) the direct conversation with a friend. */
async function openDirect(username) {
  try {
    const conversation = await api.openDirect(username);
    mergeConversation(conversation);
    changed("conversations");
    await openConversation(conversation.id);
  } catch (error) {
    toast(error.message, "error");
  }
}

function joined(conversation, { showInvite: invite = false } = {}) {
  mergeConversation(conversation);
  timeline(conversation.id);
  changed("conversations");
  openConversation(conversation.id).then(() => invite && showInvite());
}

/** An invite link (`/#join=<room>`): join (never create), then forget the fragment. */
async function followInvite() {
  const match = location.hash.match(/^#join=(.+)$/);
  if (!match) return;
  history.replaceState(null, "", location.pathname + location.search);
  let name;
  try {
    name = normaliseRoom(decodeURIComponent(match[1]));
  } catch {
    name = "";
  }
  await followInviteTo(name || "-");
}

async function signedIn() {
  rememberReturning();
  $("auth").hidden = true;
  $("app").hidden = false;
  try {
    await loadAll();
  } catch (error) {
    toast(error.message, "error");
  }
  stream.start();
  await followInvite();
}

function signedOut() {
  stream.stop();
  forgetEverything();
  changed("connection");
  document.title = "Chat";
  showAuth();
}

async function start() {
  setupAuth(() => signedIn());
  setupPasskeyLogin(() => signedIn());
  setupContacts({ openDirect, openSettings });
  setupConversations({ open: openConversation });
  setupRooms({ joined });
  setupSearch({ show: showMessage });
  setupModeration();
  setupChat();
  setupEmojiPicker();
  setupSettings(signedOut);
  subscribe("connection", renderBanner);
  subscribe("conversations", renderTitle);

  window.addEventListener("online", () => stream.kick());
  window.addEventListener("hashchange", () => store.me && followInvite());

  await resumeSession();
}

/** Signs in with the cookie session if there is one; retries while the service is down. */
async function resumeSession() {
  try {
    await api.session();
  } catch (error) {
    if (error.status === 401) {
      showAuth();
      return;
    }
    setConnection(error.status === 503 ? "unavailable" : "reconnecting", 3000);
    renderBanner();
    setTimeout(resumeSession, 3000);
    return;
  }
  await signedIn();
}

start();
