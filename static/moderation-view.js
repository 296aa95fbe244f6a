// Keeping a room, in the page: the roster with each member's standing and, for those who
// keep the room, a dialog to appoint, remove or ban someone; the bans with "Lift"; a
// report button on others' messages; the moderators' list of open reports; and a private
// room's "New link". What changes comes back as events (live.js), so every tab agrees.

import { api } from "./api.js";
import { formatAgo, formatFull, h, replaceChildren } from "./dom.js";

import { bestKnown, changed, conversationTitle, store, updateConversation } from "./state.js";
import { avatar, fieldError, toast } from "./widgets.js";

const $ = (id) => document.getElementById(id);

const RANK = { member: 0, moderator: 1, owner: 2 };
const ROLE_NAMES = { owner: "Owner", moderator: "Moderator", member: "Member" };

let memberTarget = null; // {conversationId, member} the member dialog acts on
let reportTarget = null; // {conversationId, message} the report dialog is about
let reportsOf = null; // the room whose reports the reports dialog shows
const openReports = new Map(); // room id -> how many open reports I know of

/** Whether I keep `conversation` (its owner or a moderator). */
export const keeps = (conversation) =>
  conversation?.kind === "room" && RANK[conversation.role] >= RANK.moderator;

const roleOf = (conversation, userId) => conversation.roles?.[userId] ?? "member";

/** Whether I stand above `userId` in the room: what removing or banning them needs. */
const outranks = (conversation, userId) =>
  keeps(conversation) && userId !== store.me.id && RANK[conversation.role] > RANK[roleOf(conversation, userId)];

/** The roster: each member with their standing, and "Manage" where I outrank them. */
export function renderRoster(conversation) {
  replaceChildren($("roster-list"), (conversation.members ?? []).map((member) => {
    const user = bestKnown(member);
    const friend = store.friends.get(member.id);
    const role = roleOf(conversation, member.id);
    return h("li", { class: "row roster-row" },
      avatar(user, friend ? friend.user.presence : null),
      h("span", { class: "name" }, h("bdi", {}, user.display_name), member.id === store.me.id ? " (you)" : ""),
      role !== "member" ? h("span", { class: `role-badge role-${role}` }, ROLE_NAMES[role]) : null,
      outranks(conversation, member.id)
        ? h("button", {
          type: "button", class: "small manage",
          "aria-label": `Manage ${user.display_name}`,
          onclick: () => openMember(conversation.id, member),
        }, "Manage")
        : null);
  }));
  const keeper = keeps(conversation);
  $("bans-title").hidden = !keeper;
  $("bans-list").hidden = !keeper;
}

/** The room's bans, with "Lift", for those who keep it (loaded when the roster opens). */
export async function renderBans(conversation) {
  if (!keeps(conversation)) return;
  try {
    const { bans } = await api.bans(conversation.id);
    replaceChildren($("bans-list"), bans.length ? bans.map((ban) => h("li", { class: "row" },
      h("span", { class: "name", title: ban.reason || false }, h("bdi", {}, ban.user.display_name)),
      h("button", {
        type: "button", class: "small", "aria-label": `Lift the ban on ${ban.user.display_name}`,
        onclick: () => lift(conversation, ban.user),
      }, "Lift"))) : [h("li", { class: "muted small" }, "Nobody")]);
  } catch (error) {
    toast(error.message, "error");
  }
}

async function lift(conversation, user) {
  try {
    await api.unban(conversation.id, user.username);
    toast(`${user.display_name} may join again.`);
    await renderBans(conversation);
  } catch (error) {
    toast(error.message, "error");
  }
}

/** The buttons a message gets from moderation: Report on others' room messages, and
 * Delete on them for those who keep the room. */
export function moderationButtons(conversation, message, remove) {
  if (conversation.kind !== "room" || message.sender.id === store.me.id) return [];
  return [
    h("button", { type: "button", class: "small", onclick: () => openReport(conversation.id, message), "aria-label": "Report this message to the room's moderators" }, "Report"),
    keeps(conversation)
      ? h("button", { type: "button", class: "small", onclick: () => remove(conversation.id, message), "aria-label": "Delete this message as a moderator" }, "Delete")
      : null,
  ];
}

/** The header's parts that only keepers see: Reports (with how many are open) and a
 * private room's New link. */
export function renderModerationHeader(conversation) {
  const keeper = keeps(conversation);
  const count = openReports.get(conversation.id) ?? 0;
  $("reports-button").hidden = !keeper;
  $("reports-button").textContent = count ? `Reports (${count})` : "Reports";
  $("new-invite").hidden = !(keeper && !conversation.name);
}

/** What an invite link to `conversation` carries. */
export const inviteKey = (conversation) => conversation.name ?? conversation.invite_code ?? conversation.id;

/** A report came in for a room I keep (the `report` event). */
export function reportFiled({ conversation_id, report }) {
  const room = store.conversations.get(conversation_id);
  if (!room) return;
  openReports.set(conversation_id, (openReports.get(conversation_id) ?? 0) + 1);
  toast(`${bestKnown(report.reporter).display_name} reported a message in ${conversationTitle(room)}.`);
  if (reportsOf === conversation_id && $("reports-dialog").open) loadReports();
  changed("chat");
}

function openMember(conversationId, member) {
  const conversation = store.conversations.get(conversationId);
  if (!conversation) return;
  memberTarget = { conversationId, member };
  const user = bestKnown(member);
  const role = roleOf(conversation, member.id);
  $("member-dialog-title").textContent = `${user.display_name} (@${user.username})`;
  $("member-dialog-role").textContent = ROLE_NAMES[role];
  const owner = conversation.role === "owner";
  $("member-moderator").hidden = !owner;
  $("member-moderator").textContent = role === "moderator" ? "No longer a moderator" : "Make a moderator";
  $("member-owner").hidden = !owner;
  $("ban-reason").value = "";
  fieldError("ban-reason", "");
  $("member-dialog").showModal();
}

/** Runs a member dialog action; the events it causes redraw the roster. */
async function act(action, done) {
  if (!memberTarget) return;
  const { conversationId, member } = memberTarget;
  try {
    await action(conversationId, member.username);
    $("member-dialog").close();
    toast(done(bestKnown(member).display_name));
  } catch (error) {
    if (error.code === "invalid_reason") fieldError("ban-reason", error.message);
    else toast(error.message, "error");
  }
}

function openReport(conversationId, message) {
  reportTarget = { conversationId, message };
  replaceChildren($("report-quote"), ...quote(bestKnown(message.sender).display_name, message.body).childNodes);
  $("report-reason").value = "";
  fieldError("report-reason", "");
  $("report-dialog").showModal();
  $("report-reason").focus();
}

async function sendReport() {
  if (!reportTarget) return;
  const reason = $("report-reason").value.trim();
  if (!fieldError("report-reason", reason ? "" : "Say what is wrong with it.")) return;
  try {
    await api.report(reportTarget.conversationId, reportTarget.message.id, reason);
    $("report-dialog").close();
    toast("Reported to the room's moderators.");
  } catch (error) {
    if (error.code === "invalid_reason") fieldError("report-reason", error.message);
    else toast(error.message, "error");
  }
}

async function showReports() {
  reportsOf = store.openId;
  $("reports-dialog").showModal();
  await loadReports();
}

async function loadReports() {
  const room = reportsOf;
  if (!room) return;
  $("reports-status").textContent = "Loading…";
  try {
    const { reports } = await api.reports(room);
    openReports.set(room, reports.length);
    $("reports-status").textContent = reports.length ? "" : "No open reports.";
    replaceChildren($("reports-list"), reports.map((report) => reportRow(room, report)));
    changed("chat");
  } catch (error) {
    $("reports-status").textContent = error.message;
  }
}

/** A reported message: its sender's name, then its body in a direction of its own (a
 * right-to-left body must not pull the name into its flow). */
function quote(name, body) {
  return h("blockquote", { class: "report-quote" },
    h("strong", { dir: "auto" }, name),
    h("p", { dir: "auto" }, body || "(a file)"));
}

function reportRow(room, report) {
  const sender = bestKnown(report.message.sender);
  return h("li", { class: "report" },
    h("p", { class: "muted small" },
      h("bdi", {}, bestKnown(report.reporter).display_name), " reported ",
      h("time", { datetime: report.created_at, title: formatFull(report.created_at) }, formatAgo(report.created_at))),
    h("p", { class: "report-reason", dir: "auto" }, report.reason),
    quote(sender.display_name, report.message.body),
    h("div", { class: "dialog-actions" },
      h("button", { type: "button", class: "small", onclick: () => settle(room, () => api.dismissReport(room, report.id)) }, "Dismiss"),
      h("button", { type: "button", class: "small danger", onclick: () => settle(room, () => api.remove(room, report.message.id)) }, "Delete the message")));
}

async function settle(room, action) {
  try {
    await action();
    await loadReports();
  } catch (error) {
    toast(error.message, "error");
  }
}

async function newInvite() {
  const id = store.openId;
  if (!id || !confirm("Make a new invite link? The current one (and any copy of it) stops working; members stay.")) return;
  try {
    const room = await api.changeInvite(id);
    const known = store.conversations.get(id);
    if (known) updateConversation(known, { invite_code: room.invite_code });
    changed("chat");
    toast("The room has a new invite link.");
  } catch (error) {
    toast(error.message, "error");
  }
}

export function setupModeration() {
  $("member-moderator").addEventListener("click", () => {
    const conversation = store.conversations.get(memberTarget?.conversationId);
    const promote = roleOf(conversation ?? {}, memberTarget?.member.id) !== "moderator";
    act((room, username) => api.setRole(room, username, promote ? "moderator" : "member"),
      (name) => (promote ? `${name} is a moderator now.` : `${name} is no longer a moderator.`));
  });
  $("member-owner").addEventListener("click", () => {
    const name = bestKnown(memberTarget?.member ?? {}).display_name;
    if (!confirm(`Hand the room over to ${name}? You stay on as a moderator.`)) return;
    act((room, username) => api.setRole(room, username, "owner"), (who) => `${who} owns the room now.`);
  });
  $("member-remove").addEventListener("click", () =>
    act((room, username) => api.removeMember(room, username), (name) => `${name} was removed; they may join again.`));
  $("ban-form").addEventListener("submit", (event) => {
    event.preventDefault();
    act((room, username) => api.ban(room, username, $("ban-reason").value.trim()), (name) => `${name} is banned from the room.`);
  });
  $("report-form").addEventListener("submit", (event) => {
    event.preventDefault();
    sendReport();
  });
  $("report-cancel").addEventListener("click", () => $("report-dialog").close());
  $("reports-button").addEventListener("click", showReports);
  $("new-invite").addEventListener("click", newInvite);
}
