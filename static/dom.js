// Building the page's DOM safely: every piece of text becomes a text node (never HTML),
// links only for http(s) URLs, and the date and time formats the views share.

/** Whether the page is used with a finger rather than a mouse. */
export const touchScreen = () => matchMedia("(hover: none) and (pointer: coarse)").matches;

/**
 * Creates an element. `props`: `class`, `text`, `on<event>` handlers, `dataset`, `aria-*`
 * and other attributes; children are nodes or strings (strings become text nodes).
 */
export function h(tag, props = {}, ...children) {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") element.className = value;
    else if (key === "text") element.textContent = value;
    else if (key === "dataset") Object.assign(element.dataset, value);
    else if (key.startsWith("on") && typeof value === "function") element.addEventListener(key.slice(2), value);
    else if (key in element && typeof value !== "string") element[key] = value;
    else element.setAttribute(key, value === true ? "" : String(value));
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replaces an element's children. */
export function replaceChildren(element, ...children) {
  element.replaceChildren();
  append(element, children);
}

// http(s) URLs, bare `www.` addresses (as https) and `mailto:` addresses.
const URL_PATTERN = /\b(?:https?:\/\/|www\.)[^\s<>"']+|\bmailto:[^\s<>"']+/gi;

/** The link a matched address opens, or null for anything but http(s) and mailto. */
function hrefOf(url) {
  try {
    const parsed = new URL(/^www\./i.test(url) ? `https://${url}` : url);
    if (parsed.protocol === "http:" || parsed.protocol === "https:") return parsed.href;
    if (parsed.protocol === "mailto:" && parsed.pathname.includes("@")) return parsed.href;
  } catch {
    // not a URL after all: plain text
  }
  return null;
}

/**
 * A message body as nodes: text, with http(s), `www.` and `mailto:` addresses as links
 * (web links open in a new tab without giving it a handle on this one). Anything else
 * (javascript:, data:) stays plain text.
 */
export function linkify(text) {
  const nodes = [];
  let last = 0;
  for (const match of text.matchAll(URL_PATTERN)) {
    // Trailing punctuation usually ends the sentence, not the URL.
    const url = match[0].replace(/[.,;:!?)\]]+$/, "");
    if (match.index > last) nodes.push(document.createTextNode(text.slice(last, match.index)));
    const href = hrefOf(url);
    const web = href && !href.startsWith("mailto:");
    nodes.push(
      href
        ? h("a", web ? { href, target: "_blank", rel: "noopener noreferrer" } : { href }, url)
        : document.createTextNode(url),
    );
    last = match.index + url.length;
  }
  if (last < text.length) nodes.push(document.createTextNode(text.slice(last)));
  return nodes;
}

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });
const dayFormat = new Intl.DateTimeFormat(undefined, { weekday: "long", day: "numeric", month: "long", year: "numeric" });
const shortFormat = new Intl.DateTimeFormat(undefined, { day: "numeric", month: "short" });
const fullFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "full", timeStyle: "short" });

export const formatTime = (iso) => timeFormat.format(new Date(iso));

/** Date and time in full: what hovering over a time shows. */
export const formatFull = (iso) => fullFormat.format(new Date(iso));

/** The local calendar day of a time, as a key. */
export const dayKey = (iso) => {
  const d = new Date(iso);
  return `${d.getFullYear()}-${d.getMonth()}-${d.getDate()}`;
};

/** "Today", "Yesterday" or the full date: the text of a day separator. */
export function formatDay(iso) {
  const key = dayKey(iso);
  const now = new Date();
  if (key === dayKey(now.toISOString())) return "Today";
  const yesterday = new Date(now.getFullYear(), now.getMonth(), now.getDate() - 1);
  if (key === dayKey(yesterday.toISOString())) return "Yesterday";
  return dayFormat.format(new Date(iso));
}

const relative = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });

/** "5 minutes ago", "yesterday", "3 days ago": how long since `iso`. */
export function formatAgo(iso) {
  const seconds = (Date.parse(iso) - Date.now()) / 1000;
  for (const [unit, size] of [["day", 86_400], ["hour", 3_600], ["minute", 60]]) {
    if (Math.abs(seconds) >= size) return relative.format(Math.round(seconds / size), unit);
  }
  return "just now";
}

/** A time for a list: the clock today, the date otherwise. */
export function formatWhen(iso) {
  return dayKey(iso) === dayKey(new Date().toISOString()) ? formatTime(iso) : shortFormat.format(new Date(iso));
}

/** The first letter of a name, for avatar circles. */
/** A byte count as people read it: "980 B", "12.4 KB", "3.1 MB" (powers of 1024). */
export function formatBytes(bytes) {
  const units = ["B", "KB", "MB", "GB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${value} B` : `${value < 10 ? value.toFixed(1) : Math.round(value)} ${units[unit]}`;
}

export const initial = (name) => ([...(name || "?").trim()][0] || "?").toUpperCase();
