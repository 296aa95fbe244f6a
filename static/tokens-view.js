// The settings' API tokens: the list (name, dates) with revoke, a form that mints one with
// the password, and the new token shown once with a copy button.

import { api } from "./api.js";
import { formatWhen, h, replaceChildren } from "./dom.js";
import { fieldError, toast } from "./widgets.js";

const $ = (id) => document.getElementById(id);

/** Runs after a token is made or revoked (the settings refresh their activity list). */
let changedHook = () => {};

/** The list of tokens, from the server. */
export async function renderTokens() {
  const list = $("token-list");
  try {
    const { api_tokens: tokens } = await api.apiTokens();
    replaceChildren(list, tokens.length ? tokens.map((t) =>
      h("li", { class: "row" },
        h("span", { class: "row-text" },
          h("span", { class: "name" }, t.name),
          h("span", { class: "muted small" },
            `Created ${formatWhen(t.created_at)} · last used ${formatWhen(t.last_used_at)} · expires ${formatWhen(t.expires_at)}`)),
        h("button", { type: "button", class: "small danger", onclick: async () => {
          try {
            await api.revokeApiToken(t.id);
            renderTokens();
            changedHook();
          } catch (error) {
            toast(error.message, "error");
          }
        } }, "Revoke"))) : h("li", { class: "muted" }, "No tokens."));
  } catch (error) {
    replaceChildren(list, h("li", { class: "muted" }, error.message));
  }
}

/** Wires the form and the one-time display; `onChange()` runs after each change. */
export function setupTokens(onChange) {
  changedHook = onChange;
  $("token-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const name = $("token-name").value.trim();
    const password = $("token-password").value;
    const ok = fieldError("token-name", name ? "" : "Give it a name.") &
      fieldError("token-password", password ? "" : "Enter your password.");
    if (!ok) return;
    try {
      const { token } = await api.createApiToken(name, password);
      $("token-form").reset();
      $("token-value").textContent = token;
      $("token-form").hidden = true;
      $("token-new").hidden = false;
      renderTokens();
      changedHook();
    } catch (error) {
      if (error.code === "invalid_credentials") fieldError("token-password", "That is not your password.");
      else if (error.code === "invalid_token_name") fieldError("token-name", error.message);
      else fieldError("token-password", error.message);
    }
  });
  $("token-copy").addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText($("token-value").textContent);
      toast("Token copied.");
    } catch {
      toast("Copying is blocked here: select the token and copy it.", "error");
    }
  });
  $("token-done").addEventListener("click", () => {
    $("token-value").textContent = "";
    $("token-new").hidden = true;
    $("token-form").hidden = false;
  });
}
