// Small pieces every view uses: a person's avatar and presence dot, a toast for what went
// wrong, a field's error line, and the countdown a rate limit asks for.

import { h, initial } from "./dom.js";

const $ = (id) => document.getElementById(id);

export const PRESENCE_LABELS = { online: "Online", away: "Away", busy: "Busy", invisible: "Appear offline", offline: "Offline", unknown: "Presence unknown" };

/** A presence dot with a text alternative for screen readers. */
export function presenceDot(presence) {
  return h("span", { class: `dot dot-${presence}`, role: "img", "aria-label": PRESENCE_LABELS[presence] ?? presence });
}

export function avatar(user, presence) {
  // The picture covers the initial letter, which stays as the fallback while it loads or
  // if it cannot.
  const picture = user.avatar_url
    ? h("img", { class: "avatar-picture", src: user.avatar_url, alt: "", loading: "lazy", decoding: "async", onerror: (event) => event.target.remove() })
    : null;
  return h("span", { class: "avatar", "aria-hidden": "true" }, initial(user.display_name), picture, presence ? presenceDot(presence) : null);
}

/** Reports a failed action in a toast. */
export function toast(text, kind = "info") {
  const item = h("div", { class: `toast toast-${kind}`, onclick: () => item.remove() }, text);
  $("toasts").append(item);
  setTimeout(() => item.remove(), 6000);
}

/** Shows `message` under a field (or clears it) and marks the input invalid. */
export function fieldError(inputId, message) {
  const input = $(inputId);
  const slot = $(`${inputId}-error`);
  if (slot) slot.textContent = message;
  input?.setAttribute("aria-invalid", message ? "true" : "false");
  return !message;
}

/** Disables a form's submit button for `seconds`, showing the wait in `slot`. */
export function waitOut(form, slot, seconds) {
  const button = form.querySelector("[type=submit]");
  let left = Math.max(1, seconds);
  button.disabled = true;
  const tick = () => {
    if (left <= 0) {
      button.disabled = false;
      slot.textContent = "";
      return;
    }
    slot.textContent = `Too many attempts. Try again in ${left} s.`;
    left -= 1;
    setTimeout(tick, 1000);
  };
  tick();
}
