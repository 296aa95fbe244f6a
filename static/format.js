// Message formatting: a small, fixed syntax rendered as DOM nodes, never as HTML strings
// (docs/api.md, "Formatting", is the syntax every client can follow):
//   ```           a line of three backticks opens a code block, the next one closes it;
//                 inside, text is shown exactly as written (no links, no markers)
//   > quoted      lines starting with ">" form a quote
//   `code`        inline code, shown exactly as written
//   **bold**      bold
//   *italic* _italic_   italic (an underscore only at a word's edge, so snake_case stays)
//   @username     a mention (rooms): highlighted, more so when it names the reader
// Markers must hug their text (`** x **` stays as typed) and never reach across a link;
// anything unmatched is plain text. Links come from dom.js's linkify.

import { h, linkify } from "./dom.js";

const FENCE = /^```[\w+-]*\s*$/;
const QUOTE = /^>\s?/;

// Bold first (its ** would otherwise read as two italics), then the two italics.
const EMPHASIS = /\*\*(?=\S)([\s\S]*?\S)\*\*|(?<![\w*])\*(?=[^\s*])([^*]*?[^\s*])\*(?![\w*])|(?<![\p{L}\p{N}_])_(?=[^\s_])([^_]*?[^\s_])_(?![\p{L}\p{N}_])/u;

// The server's rule (fields.rs, mentioned_usernames): '@' not after a username character.
const MENTION = /(?<![A-Za-z0-9_-])@([A-Za-z0-9_-]{3,32})(?![A-Za-z0-9_-])/g;

let reader = ""; // the signed-in username, lower case, while a body is being formatted

/** Plain text with its mentions as highlighted spans. */
function mentions(text) {
  const nodes = [];
  let last = 0;
  for (const match of text.matchAll(MENTION)) {
    if (match.index > last) nodes.push(document.createTextNode(text.slice(last, match.index)));
    const me = match[1].toLowerCase() === reader;
    nodes.push(h("span", { class: `mention${me ? " me" : ""}` }, match[0]));
    last = match.index + match[0].length;
  }
  if (last < text.length) nodes.push(document.createTextNode(text.slice(last)));
  return nodes;
}

/** Bold and italic within text that holds no link and no code. */
function emphasis(text) {
  const match = text.match(EMPHASIS);
  if (!match) return mentions(text);
  const before = text.slice(0, match.index);
  const after = text.slice(match.index + match[0].length);
  const node = match[1] !== undefined ? h("strong", {}, emphasis(match[1])) : h("em", {}, emphasis(match[2] ?? match[3]));
  return [...emphasis(before), node, ...emphasis(after)];
}

/** One line's (or a quote's) inline formatting: code spans, links, then emphasis. */
function inline(text) {
  const nodes = [];
  for (const [i, part] of text.split(/(`[^`\n]+`)/).entries()) {
    if (i % 2 === 1) {
      nodes.push(h("code", {}, part.slice(1, -1)));
      continue;
    }
    for (const piece of linkify(part)) {
      if (piece.nodeType === Node.TEXT_NODE) nodes.push(...emphasis(piece.textContent));
      else nodes.push(piece);
    }
  }
  return nodes;
}

/**
 * A message body as nodes: paragraphs of formatted text (line breaks kept), quotes and code
 * blocks; mentions of `me` (a username) stand out. Everything user-written ends up in
 * text nodes.
 */
export function formatBody(body, me = "") {
  reader = me.toLowerCase();
  const lines = body.split("\n");
  const blocks = [];
  let text = []; // the lines of the plain run being gathered
  const flushText = () => {
    if (text.length) blocks.push(h("span", { class: "text" }, inline(text.join("\n"))));
    text = [];
  };
  for (let i = 0; i < lines.length; i += 1) {
    const line = lines[i];
    const close = FENCE.test(line) ? lines.findIndex((l, j) => j > i && /^```\s*$/.test(l)) : -1;
    if (close > i) {
      flushText();
      blocks.push(h("pre", { class: "code-block", dir: "ltr" }, h("code", {}, lines.slice(i + 1, close).join("\n"))));
      i = close;
    } else if (QUOTE.test(line)) {
      flushText();
      const quoted = [];
      while (i < lines.length && QUOTE.test(lines[i])) quoted.push(lines[i++].replace(QUOTE, ""));
      i -= 1;
      blocks.push(h("blockquote", { dir: "auto" }, inline(quoted.join("\n"))));
    } else {
      text.push(line);
    }
  }
  flushText();
  return blocks;
}

/**
 * A message in one line of plain text, for a list or a notification: formatting marks
 * dropped, line breaks as spaces, and its files named when it has no words of its own.
 */
export function messageSummary(message) {
  const words = (message.body ?? "")
    .replace(/^```.*$/gm, "")
    .replace(/^>\s?/gm, "")
    .replace(/\*\*(.+?)\*\*/g, "$1")
    .replace(/(^|[^\w*])[*_](\S(?:.*?\S)?)[*_](?=$|[^\w*])/g, "$1$2")
    .replace(/`([^`]+)`/g, "$1")
    .replace(/\s+/g, " ")
    .trim();
  const files = message.attachments ?? [];
  if (!files.length) return words;
  const images = files.every((f) => f.content_type.startsWith("image/"));
  const named = files.length === 1 ? files[0].name : `${files.length} ${images ? "photos" : "files"}`;
  const icon = images ? "📷" : "📎";
  return words ? `${icon} ${words}` : `${icon} ${named}`;
}
