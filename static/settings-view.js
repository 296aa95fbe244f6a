// The settings dialog: display name, profile picture (avatar-editor.js), password change,
// two-step sign-in (second-factor-view.js), signed-in sessions (revocable), API tokens
// (tokens-view.js), recent security activity,
// blocked people, desktop notifications, and signing out.

import { api } from "./api.js";
import { attention, setAttention } from "./attention.js";
import { formatWhen, h, replaceChildren } from "./dom.js";

import { checkDisplayName, checkPassword } from "./limits.js";

import { changed, loadFriends, setMe, store, subscribe } from "./state.js";
import { renderAvatarSettings, setupAvatarEditor } from "./avatar-editor.js";
import { renderSecondFactor, setupSecondFactor } from "./second-factor-view.js";
import { renderTokens, setupTokens } from "./tokens-view.js";
import { renderPasskeys, setupPasskeys } from "./passkeys-view.js";
import { fieldError, toast, waitOut } from "./widgets.js";

const $ = (id) => document.getElementById(id);

async function renderSessions() {
  const list = $("session-list");
  try {
    const { sessions } = await api.sessions();
    replaceChildren(list, sessions.map((s) =>
      h("li", { class: "row" },
        h("span", { class: "row-text" },
          h("span", { class: "name" }, s.current ? "This browser" : s.user_agent || "Unknown device"),
          h("span", { class: "muted small" }, `Signed in ${formatWhen(s.created_at)} · last active ${formatWhen(s.last_seen_at)}`)),
        s.current
          ? null
          : h("button", { type: "button", class: "small", onclick: async () => {
              try {
                await api.revokeSession(s.id);
                renderSessions();
              } catch (error) {
                toast(error.message, "error");
              }
            } }, "Sign out"))));
  } catch (error) {
    replaceChildren(list, h("li", { class: "muted" }, error.message));
  }
}

/** What each kind of security event says to the person whose account it is. */
const ACTIVITY = {
  signed_up: "Account created",
  signed_in: "Signed in",
  sign_in_failed: "Failed sign-in: wrong password",
  second_factor_asked: "Password accepted, code asked",
  second_factor_failed: "Failed sign-in: wrong code",
  recovery_code_used: "Signed in with a recovery code",
  second_factor_on: "Two-step sign-in turned on",
  second_factor_off: "Two-step sign-in turned off",
  recovery_codes_renewed: "New recovery codes made",
  password_changed: "Password changed",
  password_check_failed: "Wrong password given in the settings",
  signed_out: "Signed out",
  session_revoked: "Another session signed out",
  api_token_created: "API token created",
  api_token_revoked: "API token revoked",
  passkey_added: "Passkey added",
  passkey_removed: "Passkey removed",
  signed_in_with_passkey: "Signed in with a passkey",
};
const WARNINGS = new Set(["sign_in_failed", "second_factor_failed", "password_check_failed"]);

async function renderActivity() {
  const list = $("activity-list");
  try {
    const { events } = await api.securityEvents();
    replaceChildren(list, events.length ? events.slice(0, 20).map((e) =>
      h("li", { class: WARNINGS.has(e.kind) ? "row activity-warning" : "row" },
        h("span", { class: "row-text" },
          h("span", { class: "name" }, ACTIVITY[e.kind] ?? e.kind),
          h("span", { class: "muted small" },
            [formatWhen(e.at), e.client, e.user_agent].filter(Boolean).join(" · "))))) : h("li", { class: "muted" }, "Nothing yet."));
  } catch (error) {
    replaceChildren(list, h("li", { class: "muted" }, error.message));
  }
}

function renderBlocked() {
  replaceChildren($("blocked-list"),
    store.blocked.length === 0
      ? h("li", { class: "muted" }, "Nobody.")
      : store.blocked.map((user) =>
          h("li", { class: "row" },
            h("span", { class: "row-text" }, h("span", { class: "name" }, user.display_name), h("span", { class: "muted small" }, `@${user.username}`)),
            h("button", { type: "button", class: "small", onclick: async () => {
              try {
                await api.unblock(user.username);
                await loadFriends();
              } catch (error) {
                toast(error.message, "error");
              }
            } }, "Unblock"))));
}

function renderNotifications() {
  const supported = "Notification" in window;
  const permission = supported ? Notification.permission : "unsupported";
  $("notify-state").textContent =
    permission === "granted" ? "On: a new message while this tab is hidden shows a notification."
    : permission === "denied" ? "Blocked in the browser's site settings."
    : permission === "unsupported" ? "This browser has no desktop notifications."
    : "Off.";
  $("notify-enable").hidden = permission !== "default";
}

/** Wires the dialog; `onSignedOut()` runs after signing out. */
export function setupSettings(onSignedOut) {
  const dialog = $("settings");
  subscribe("contacts", renderBlocked);
  // A session signed out elsewhere leaves the list while it is open.
  subscribe("sessions", () => {
    if (dialog.open) renderSessions();
  });
  setupAvatarEditor();
  setupSecondFactor();
  setupTokens(renderActivity);
  setupPasskeys(renderActivity);

  $("profile-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const name = $("profile-display").value;
    if (!fieldError("profile-display", checkDisplayName(name))) return;
    try {
      setMe(await api.updateMe({ display_name: name.trim() }));
      $("profile-status").textContent = "Saved.";
      changed("me", "chat");
    } catch (error) {
      fieldError("profile-display", error.message);
    }
  });

  $("password-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.currentTarget;
    const current = $("current-password").value;
    const next = $("new-password").value;
    $("password-status").textContent = "";
    const ok =
      fieldError("current-password", current ? "" : "Enter your current password.") &
      fieldError("new-password", checkPassword(next, store.me.username));
    if (!ok) return;
    try {
      await api.changePassword(current, next);
      form.reset();
      $("password-status").textContent = "Password changed. Your other sessions were signed out.";
      renderSessions();
    } catch (error) {
      if (error.code === "invalid_credentials") fieldError("current-password", "That is not your current password.");
      else if (error.code === "invalid_password") fieldError("new-password", error.message);
      else if (error.status === 429) waitOut(form, $("password-status"), error.retryAfter);
      else $("password-status").textContent = error.message;
    }
  });

  $("pref-sounds").addEventListener("change", (event) => setAttention({ sounds: event.target.checked }));
  $("pref-signins").addEventListener("change", (event) => setAttention({ signIns: event.target.checked }));

  $("notify-enable").addEventListener("click", async () => {
    // Asked only here, on a click: browsers (rightly) distrust unprompted requests.
    await Notification.requestPermission();
    renderNotifications();
  });

  $("export-data").addEventListener("click", async () => {
    try {
      const data = await api.exportData();
      const url = URL.createObjectURL(new Blob([JSON.stringify(data, null, 2)], { type: "application/json" }));
      const link = h("a", { href: url, download: `chat-${store.me.username}.json` });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (error) {
      toast(error.message, "error");
    }
  });

  $("delete-account-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const password = $("delete-password").value;
    const ok = fieldError("delete-password", password ? "" : "Enter your password.") &
      fieldError("delete-confirm", $("delete-confirm").checked ? "" : "Tick the box to confirm.");
    if (!ok) return;
    try {
      await api.deleteAccount(password);
      $("delete-account-form").reset();
      dialog.close();
      onSignedOut();
    } catch (error) {
      if (error.code === "invalid_credentials") fieldError("delete-password", "That is not your password.");
      else fieldError("delete-password", error.message);
    }
  });

  $("logout").addEventListener("click", async () => {
    try {
      await api.logout();
    } catch {
      // Signed out already, or unreachable: the page forgets the session either way.
    }
    dialog.close();
    onSignedOut();
  });
}

export function openSettings() {
  $("profile-display").value = store.me.display_name;
  $("profile-status").textContent = "";
  $("password-status").textContent = "";
  renderAvatarSettings();
  renderSessions();
  renderSecondFactor();
  renderActivity();
  renderTokens();
  renderPasskeys();
  renderBlocked();
  renderNotifications();
  $("pref-sounds").checked = attention().sounds;
  $("pref-signins").checked = attention().signIns;
  $("settings").showModal();
}
