// The emoji picker: one dialog for reactions and the composer alike, with Unicode's
// groups, a search by name, and the emoji used lately first. Its data (emoji-data.js,
// vendored: no CDN) is loaded the first time it opens.

import { h, replaceChildren } from "./dom.js";

const $ = (id) => document.getElementById(id);
const RECENT_KEY = "chat.recentEmoji";
const RECENT_MAX = 24;

let groups = null; // [{name, emojis: [[emoji, name]]}] once loaded
let settle = null; // resolves the open picker's promise

function recent() {
  try {
    const list = JSON.parse(localStorage.getItem(RECENT_KEY) ?? "[]");
    return Array.isArray(list) ? list.filter((e) => typeof e === "string").slice(0, RECENT_MAX) : [];
  } catch {
    return [];
  }
}

function remember(emoji) {
  try {
    localStorage.setItem(RECENT_KEY, JSON.stringify([emoji, ...recent().filter((e) => e !== emoji)].slice(0, RECENT_MAX)));
  } catch {
    // storage off: nothing is remembered, the picker still works
  }
}

function choose(emoji) {
  remember(emoji);
  const done = settle;
  settle = null;
  $("emoji-picker").close();
  done?.(emoji);
}

const button = ([emoji, name]) =>
  h("button", { type: "button", class: "emoji", title: name, "aria-label": name, onclick: () => choose(emoji) }, emoji);

function render() {
  const query = $("emoji-search").value.trim().toLowerCase();
  const sections = [];
  if (!query) {
    const names = new Map(groups.flatMap((g) => g.emojis));
    const lately = recent().map((e) => [e, names.get(e) ?? e]);
    if (lately.length) sections.push({ name: "Recently used", emojis: lately });
    sections.push(...groups);
  } else {
    const words = query.split(/\s+/);
    const found = groups.flatMap((g) => g.emojis).filter(([, name]) => words.every((w) => name.includes(w)));
    sections.push({ name: found.length ? `Matching “${query}”` : `Nothing matches “${query}”`, emojis: found });
  }
  replaceChildren($("emoji-groups"), sections.map((section) =>
    h("section", { class: "emoji-group" },
      h("h3", {}, section.name),
      h("div", { class: "emoji-grid", role: "group", "aria-label": section.name }, section.emojis.map(button)))));
}

/**
 * Opens the picker; resolves to the chosen emoji, or null when it is closed without one.
 * `title` says what the choice is for ("React with…", "Insert an emoji").
 */
export async function pickEmoji(title) {
  if (!groups) ({ EMOJI_GROUPS: groups } = await import("./emoji-data.js"));
  settle?.(null);
  $("emoji-title").textContent = title;
  $("emoji-search").value = "";
  render();
  $("emoji-picker").showModal();
  $("emoji-search").focus();
  return new Promise((resolve) => {
    settle = resolve;
  });
}

export function setupEmojiPicker() {
  $("emoji-search").addEventListener("input", render);
  $("emoji-search").addEventListener("keydown", (event) => {
    // Enter takes the first match, so a search is two keystrokes from a reaction.
    if (event.key !== "Enter") return;
    event.preventDefault();
    $("emoji-groups").querySelector("button.emoji")?.click();
  });
  $("emoji-picker").addEventListener("close", () => {
    const done = settle;
    settle = null;
    done?.(null);
  });
}
