// Searching one's own messages: a dialog with the query, an optional conversation and
// sender, results newest first with the matching words marked (built as DOM nodes, the
// server's snippet parts as text), and opening a result at its place in the history.

import { api } from "./api.js";
import { formatFull, formatWhen, h, replaceChildren } from "./dom.js";
import { conversationTitle, sortedConversations, store } from "./state.js";

const $ = (id) => document.getElementById(id);
const SEARCH_DELAY_MS = 250;

let showHook = async () => {};
let searchTimer = null;
/** What is on screen: the query it answers, its results and the next page's cursor. */
let shown = { key: "", results: [], next: null };

/** The form's query: text, conversation, sender; `key` tells stale answers apart. */
function currentQuery() {
  const q = $("search-input").value.trim();
  const conversation = $("search-in").value;
  const from = $("search-from").value.trim();
  return { q, conversation, from, key: JSON.stringify([q, conversation, from]) };
}

function snippetNode(parts) {
  return h("span", { class: "search-snippet", dir: "auto" },
    ...parts.map((part) => (part.matched ? h("mark", {}, part.text) : part.text)));
}

function resultRow(hit) {
  const message = hit.message;
  const conversation = store.conversations.get(message.conversation_id);
  const where = conversation ? conversationTitle(conversation) : "A conversation";
  return h("li", { class: "search-result" },
    h("button", {
      type: "button",
      class: "search-open",
      "aria-label": `${message.sender.display_name} in ${where}, ${formatFull(message.created_at)}: show in the conversation`,
      onclick: async () => {
        $("search-dialog").close();
        await showHook(message.conversation_id, message.seq);
      },
    },
      h("span", { class: "search-meta muted small" },
        h("span", { class: "search-where", dir: "auto" }, `${message.sender.display_name} · ${where}`),
        h("time", { datetime: message.created_at, title: formatFull(message.created_at) }, formatWhen(message.created_at))),
      snippetNode(hit.snippet)));
}

function render() {
  const { q } = currentQuery();
  replaceChildren($("search-results"), shown.results.length
    ? shown.results.map(resultRow)
    : q ? h("li", { class: "muted empty" }, `No message matches “${q}”.`) : []);
  $("search-more").hidden = !shown.next;
}

async function runSearch({ more = false } = {}) {
  const query = currentQuery();
  if (!query.q) {
    shown = { key: query.key, results: [], next: null };
    $("search-status").textContent = "";
    render();
    return;
  }
  try {
    const page = await api.search(query, more ? shown.next : null);
    if (currentQuery().key !== query.key) return; // typed on meanwhile
    shown = { key: query.key, results: more ? [...shown.results, ...page.results] : page.results, next: page.next_before };
    $("search-status").textContent = "";
    render();
  } catch (error) {
    if (currentQuery().key !== query.key) return;
    $("search-status").textContent = error.status === 429 ? `Searching too fast: wait ${error.retryAfter || 1} s.`
      : error.code === "invalid_query" ? "Type a word to look for." : error.message;
  }
}

function later() {
  clearTimeout(searchTimer);
  searchTimer = setTimeout(runSearch, SEARCH_DELAY_MS);
}

/** Opens the search, limited to conversation `inId` when given. */
export function openSearch(inId = "") {
  const choices = sortedConversations().map((c) => h("option", { value: c.id }, conversationTitle(c)));
  replaceChildren($("search-in"), h("option", { value: "" }, "All conversations"), ...choices);
  $("search-in").value = store.conversations.has(inId) ? inId : "";
  $("search-status").textContent = "";
  $("search-dialog").showModal();
  $("search-input").select();
  runSearch();
}

/** Wires the search; `show(conversationId, seq)` opens a result in its conversation. */
export function setupSearch({ show }) {
  showHook = show;
  $("search-messages").addEventListener("click", () => openSearch());
  $("search-here").addEventListener("click", () => openSearch(store.openId ?? ""));
  $("search-input").addEventListener("input", later);
  $("search-from").addEventListener("input", later);
  $("search-in").addEventListener("change", () => runSearch());
  $("search-form").addEventListener("submit", (event) => {
    event.preventDefault();
    clearTimeout(searchTimer);
    runSearch();
  });
  $("search-more").addEventListener("click", () => runSearch({ more: true }));
  document.addEventListener("keydown", (event) => {
    // Ctrl+K / Cmd+K, as in the chats people know. The app shows before the account has
    // loaded, and a key pressed in that moment is answered too: the search needs no more.
    if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === "k" && !$("app").hidden) {
      event.preventDefault();
      if (!$("search-dialog").open) openSearch();
    }
  });
}
