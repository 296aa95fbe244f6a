// Passkeys in the page: signing in with one (the browser offers the passkeys it holds for
// this site) and, in the settings, adding, listing and removing them. The browser does the
// cryptography (navigator.credentials); the options and answers travel in WebAuthn's JSON
// form. Shown only where the browser supports that form.

import { api } from "./api.js";
import { formatWhen, h, replaceChildren } from "./dom.js";
import { fieldError, toast } from "./widgets.js";

const $ = (id) => document.getElementById(id);

/** Whether this browser can make and use passkeys through WebAuthn's JSON form, on a page
 * reached by a domain name (a passkey belongs to a domain; `localhost` counts). */
export const passkeysSupported = () =>
  !/^[\d.]+$|^\[/.test(location.hostname)
  && typeof PublicKeyCredential !== "undefined"
  && typeof PublicKeyCredential.parseCreationOptionsFromJSON === "function"
  && typeof PublicKeyCredential.parseRequestOptionsFromJSON === "function";

/** The creation or request options inside what the server sent. */
const publicKey = (options) => options.publicKey ?? options;

/** Signs in with a passkey; resolves to the signed-in answer, or null when the person
 * cancelled. */
export async function signInWithPasskey() {
  const options = await api.passkeyLoginOptions();
  let credential;
  try {
    credential = await navigator.credentials.get({
      publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(publicKey(options)),
    });
  } catch (error) {
    if (error.name === "NotAllowedError" || error.name === "AbortError") return null;
    throw error;
  }
  return api.passkeyLogin(credential.toJSON());
}

/** The settings' list of passkeys. */
export async function renderPasskeys() {
  $("passkeys-section").hidden = !passkeysSupported();
  if (!passkeysSupported()) return;
  const list = $("passkey-list");
  try {
    const { passkeys } = await api.passkeys();
    replaceChildren(list, passkeys.length ? passkeys.map((p) =>
      h("li", { class: "row" },
        h("span", { class: "row-text" },
          h("span", { class: "name", dir: "auto" }, p.name),
          h("span", { class: "muted small" },
            `Added ${formatWhen(p.created_at)} · last used ${p.last_used_at ? formatWhen(p.last_used_at) : "never"}`)),
        h("button", { type: "button", class: "small danger", "aria-label": `Remove the passkey ${p.name}`, onclick: async () => {
          if (!confirm(`Remove the passkey “${p.name}”? That device will no longer sign you in.`)) return;
          try {
            await api.removePasskey(p.id);
            renderPasskeys();
            changedHook();
          } catch (error) {
            toast(error.message, "error");
          }
        } }, "Remove"))) : h("li", { class: "muted" }, "No passkeys."));
  } catch (error) {
    replaceChildren(list, h("li", { class: "muted" }, error.message));
  }
}

let changedHook = () => {};

async function addPasskey() {
  const name = $("passkey-name").value.trim();
  if (!fieldError("passkey-name", name ? "" : "Name it after the device, to know it later.")) return;
  try {
    const options = await api.passkeyOptions();
    let credential;
    try {
      credential = await navigator.credentials.create({
        publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(publicKey(options)),
      });
    } catch (error) {
      if (error.name === "NotAllowedError" || error.name === "AbortError") return;
      if (error.name === "InvalidStateError") {
        toast("This device already holds a passkey for your account.", "error");
        return;
      }
      throw error;
    }
    await api.addPasskey(name, credential.toJSON());
    $("passkey-name").value = "";
    toast("Passkey added: next time, sign in with it.");
    renderPasskeys();
    changedHook();
  } catch (error) {
    if (error.code === "invalid_name") fieldError("passkey-name", error.message);
    else toast(error.message, "error");
  }
}

/** Shows "Sign in with a passkey" where it can work; `onSignedIn(user)` as after a login. */
export function setupPasskeyLogin(onSignedIn) {
  const button = $("passkey-login");
  button.hidden = !passkeysSupported();
  button.addEventListener("click", async () => {
    $("login-error").textContent = "";
    button.disabled = true;
    try {
      const answer = await signInWithPasskey();
      if (answer) onSignedIn(answer.user);
    } catch (error) {
      $("login-error").textContent = error.code === "passkey_refused"
        ? "That passkey was not accepted. Try again, or use your password."
        : error.message;
    } finally {
      button.disabled = false;
    }
  });
}

/** Wires the settings' form; `onChange()` runs after each change (the activity list). */
export function setupPasskeys(onChange) {
  changedHook = onChange;
  $("passkey-form").addEventListener("submit", (event) => {
    event.preventDefault();
    addPasskey();
  });
}
