// Completing `@username` in the composer: typing `@` and the start of a member's username
// or display name lists the room's members that match; Up/Down choose, Enter or Tab put
// `@username ` in place, Escape puts the list away. Rooms only: a direct conversation has
// nobody else to name.

import { h, replaceChildren } from "./dom.js";

const $ = (id) => document.getElementById(id);
const SHOWN_MAX = 8;

let matches = []; // [{username, display_name}] listed now
let chosen = 0;
let start = -1; // where the `@` being completed is in the composer's text

/** The `@prefix` right before the caret, or null. */
function typedMention(input) {
  const before = input.value.slice(0, input.selectionStart);
  const match = before.match(/(?:^|[^A-Za-z0-9_-])@([A-Za-z0-9_-]{0,32})$/);
  return match ? { prefix: match[1].toLowerCase(), at: before.length - match[1].length - 1 } : null;
}

function close() {
  matches = [];
  start = -1;
  $("mention-list").hidden = true;
  $("message-input").removeAttribute("aria-activedescendant");
  $("message-input").setAttribute("aria-expanded", "false");
}

function render() {
  const list = $("mention-list");
  replaceChildren(list, matches.map((member, i) =>
    h("li", {
      id: `mention-${i}`,
      role: "option",
      "aria-selected": String(i === chosen),
      onmousedown: (event) => {
        event.preventDefault(); // keep the composer's focus and caret
        chosen = i;
        accept();
      },
    }, h("strong", {}, `@${member.username}`), h("span", { class: "muted small", dir: "auto" }, member.display_name))));
  list.hidden = matches.length === 0;
  $("message-input").setAttribute("aria-expanded", String(!list.hidden));
  if (!list.hidden) $("message-input").setAttribute("aria-activedescendant", `mention-${chosen}`);
}

function accept() {
  const input = $("message-input");
  const member = matches[chosen];
  if (!member || start < 0) return close();
  input.setRangeText(`@${member.username} `, start, input.selectionStart, "end");
  close();
  input.dispatchEvent(new Event("input", { bubbles: true }));
}

/**
 * Wires the composer. `candidates()` gives the members to offer (without oneself), or []
 * outside a room.
 */
export function setupMentionCompletion(candidates) {
  const input = $("message-input");
  input.setAttribute("aria-controls", "mention-list");
  input.setAttribute("aria-autocomplete", "list");
  const update = () => {
    const typed = typedMention(input);
    if (!typed) return close();
    matches = candidates()
      .filter((m) => m.username.startsWith(typed.prefix) || m.display_name.toLowerCase().startsWith(typed.prefix))
      .slice(0, SHOWN_MAX);
    chosen = Math.min(chosen, Math.max(matches.length - 1, 0));
    start = typed.at;
    render();
  };
  input.addEventListener("input", update);
  input.addEventListener("click", update);
  input.addEventListener("blur", close);
  // Capture, so these keys never reach the composer's own Enter-sends handler.
  input.addEventListener("keydown", (event) => {
    if ($("mention-list").hidden || !matches.length) return;
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      chosen = (chosen + (event.key === "ArrowDown" ? 1 : matches.length - 1)) % matches.length;
      render();
    } else if (event.key === "Enter" || event.key === "Tab") {
      accept();
    } else if (event.key === "Escape") {
      close();
    } else {
      return;
    }
    event.preventDefault();
    event.stopImmediatePropagation();
  }, { capture: true });
}
