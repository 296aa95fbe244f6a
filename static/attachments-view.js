// Files on messages in the page: what the composer holds before sending (picked with the
// button, pasted, or dropped on the chat; each uploads at once with its progress, and a
// failed one can be tried again), and how a message shows its files: images inline at
// their own proportions before they load (the log never jumps), opened full size on a
// click; other files as a card with name, size and type to download.

import { api } from "./api.js";
import { formatBytes, h, replaceChildren } from "./dom.js";
import { ATTACHMENT_MAX, ATTACHMENTS_PER_MESSAGE } from "./limits.js";
import { toast } from "./widgets.js";

const $ = (id) => document.getElementById(id);

/** The longest side an inline preview takes on screen, in CSS pixels. */
const PREVIEW_MAX = 280;

// What the composer holds: conversation id -> [{key, file, state, progress, attachment, error, abort}]
const staged = new Map();
let changedHook = () => {};
let nextKey = 0;

const stagedIn = (conversationId) => staged.get(conversationId) ?? [];

function setStaged(conversationId, list) {
  if (list.length) staged.set(conversationId, list);
  else staged.delete(conversationId);
  changedHook();
}

/** Uploads one staged file, showing its progress; a failure leaves it to try again. */
async function start(conversationId, entry) {
  entry.state = "uploading";
  entry.progress = 0;
  entry.error = "";
  changedHook();
  try {
    const upload = api.upload(conversationId, entry.file, (sent) => {
      entry.progress = sent;
      renderStaged(conversationId);
    });
    entry.abort = upload.abort;
    entry.attachment = await upload.done;
    entry.state = "done";
  } catch (error) {
    if (error.code === "aborted") return;
    entry.state = "failed";
    entry.error = error.status === 429 ? `Too many uploads: try again in ${error.retryAfter || 1} s.` : error.message;
  }
  changedHook();
}

/** Adds `files` to what the composer of `conversationId` sends next, and uploads them. */
export function stageFiles(conversationId, files) {
  const list = [...stagedIn(conversationId)];
  for (const file of files) {
    if (list.length >= ATTACHMENTS_PER_MESSAGE) {
      toast(`A message carries at most ${ATTACHMENTS_PER_MESSAGE} files.`, "error");
      break;
    }
    if (file.size > ATTACHMENT_MAX) {
      toast(`${file.name} is ${formatBytes(file.size)}: files are at most ${formatBytes(ATTACHMENT_MAX)}.`, "error");
      continue;
    }
    if (file.size === 0) {
      toast(`${file.name} is empty.`, "error");
      continue;
    }
    const entry = { key: ++nextKey, file, state: "uploading", progress: 0, attachment: null, error: "", abort: null };
    list.push(entry);
    start(conversationId, entry);
  }
  setStaged(conversationId, list);
}

function unstage(conversationId, entry) {
  entry.abort?.();
  setStaged(conversationId, stagedIn(conversationId).filter((e) => e !== entry));
}

/**
 * What the next send carries: `{attachments}` when every staged file is uploaded,
 * `{waiting: sentence}` while one is not.
 */
export function readyAttachments(conversationId) {
  const list = stagedIn(conversationId);
  if (list.some((e) => e.state === "uploading")) return { waiting: "Wait until your files have uploaded." };
  if (list.some((e) => e.state === "failed")) return { waiting: "A file did not upload: try it again or remove it." };
  return { attachments: list.map((e) => e.attachment) };
}

/** Empties the composer's files once a send took them. */
export function clearStaged(conversationId) {
  setStaged(conversationId, []);
}

export const hasStaged = (conversationId) => stagedIn(conversationId).length > 0;

/** The composer's row of files for the open conversation. */
export function renderStaged(conversationId) {
  const list = stagedIn(conversationId);
  const row = $("staged");
  row.hidden = list.length === 0;
  replaceChildren(row, list.map((entry) => {
    const percent = entry.file.size ? Math.round((100 * entry.progress) / entry.file.size) : 100;
    const status = entry.state === "uploading" ? `${percent}%` : entry.state === "failed" ? entry.error : formatBytes(entry.file.size);
    return h("li", { class: `staged-file ${entry.state}` },
      h("span", { class: "staged-name", dir: "auto", title: entry.file.name }, entry.file.name),
      h("span", { class: "staged-status muted small", role: entry.state === "failed" ? "alert" : false }, status),
      entry.state === "uploading" ? h("progress", { max: String(entry.file.size || 1), value: String(entry.progress), "aria-label": `Uploading ${entry.file.name}` }) : null,
      entry.state === "failed" ? h("button", { type: "button", class: "small", onclick: () => start(conversationId, entry) }, "Try again") : null,
      h("button", { type: "button", class: "icon small", "aria-label": `Remove ${entry.file.name}`, onclick: () => unstage(conversationId, entry) }, "✕"));
  }));
}

// Showing a message's files.

/** Width and height for a preview: the image's own proportions within PREVIEW_MAX. */
function previewSize(attachment) {
  const w = attachment.width || PREVIEW_MAX;
  const hgt = attachment.height || PREVIEW_MAX;
  const scale = Math.min(1, PREVIEW_MAX / Math.max(w, hgt));
  return { width: Math.max(1, Math.round(w * scale)), height: Math.max(1, Math.round(hgt * scale)) };
}

const INLINE = new Set(["image/png", "image/jpeg", "image/gif", "image/webp"]);

function imageNode(attachment) {
  const { width, height } = previewSize(attachment);
  return h("a", {
    class: "att-image",
    href: attachment.url,
    "aria-label": `Image ${attachment.name}, ${attachment.width}×${attachment.height}: open full size`,
    onclick: (event) => {
      event.preventDefault();
      openViewer(attachment);
    },
  }, h("img", {
    // The scaled preview when the server made one (a big photo), else the picture itself.
    src: attachment.preview_url ?? attachment.url, alt: attachment.name,
    width: String(width), height: String(height), loading: "lazy", decoding: "async",
  }));
}

/** A short, human name for a file's type. */
function typeLabel(attachment) {
  const [kind, sub = ""] = attachment.content_type.split("/");
  if (attachment.content_type === "application/octet-stream") {
    const ext = attachment.name.includes(".") ? attachment.name.split(".").pop().toUpperCase() : "";
    return ext && ext.length <= 5 ? `${ext} file` : "File";
  }
  if (kind === "text") return "Text";
  return sub.replace(/^x-/, "").replace(/^vnd\./, "").toUpperCase();
}

function fileNode(attachment) {
  return h("a", { class: "att-file", href: attachment.url, download: attachment.name },
    h("span", { class: "att-icon", "aria-hidden": "true" }, "📄"),
    h("span", { class: "att-text" },
      h("span", { class: "att-name", dir: "auto" }, attachment.name),
      h("span", { class: "muted small" }, `${formatBytes(attachment.size)} · ${typeLabel(attachment)}`)));
}

/** A message's files, or null when it has none. */
export function attachmentsNode(attachments) {
  if (!attachments?.length) return null;
  return h("div", { class: "attachments" },
    attachments.map((a) => (INLINE.has(a.content_type) ? imageNode(a) : fileNode(a))));
}

/** The full-size view of an image, with its name and a download link. */
function openViewer(attachment) {
  const dialog = $("image-viewer");
  replaceChildren($("image-viewer-body"),
    h("img", { src: attachment.url, alt: attachment.name, width: String(attachment.width || ""), height: String(attachment.height || "") }));
  $("image-viewer-title").textContent = attachment.name;
  $("image-viewer-download").href = attachment.url;
  $("image-viewer-download").download = attachment.name;
  dialog.showModal();
}

/**
 * Wires the composer's file button, pasting and dropping; `current()` names the open
 * conversation, `changed()` re-renders the composer.
 */
export function setupAttachments({ current, changed }) {
  changedHook = changed;
  const picker = $("file-input");
  $("attach-button").addEventListener("click", () => picker.click());
  picker.addEventListener("change", () => {
    const id = current();
    if (id && picker.files?.length) stageFiles(id, [...picker.files]);
    picker.value = "";
  });
  $("message-input").addEventListener("paste", (event) => {
    const files = [...(event.clipboardData?.files ?? [])];
    const id = current();
    if (!files.length || !id) return;
    event.preventDefault();
    stageFiles(id, files);
  });
  const pane = $("chat-main");
  let depth = 0;
  const carriesFiles = (event) => [...(event.dataTransfer?.types ?? [])].includes("Files");
  pane.addEventListener("dragenter", (event) => {
    if (!carriesFiles(event)) return;
    depth += 1;
    pane.classList.add("dropping");
  });
  pane.addEventListener("dragleave", () => {
    depth = Math.max(0, depth - 1);
    if (!depth) pane.classList.remove("dropping");
  });
  pane.addEventListener("dragover", (event) => {
    if (carriesFiles(event)) event.preventDefault();
  });
  pane.addEventListener("drop", (event) => {
    depth = 0;
    pane.classList.remove("dropping");
    const files = [...(event.dataTransfer?.files ?? [])];
    const id = current();
    if (!files.length || !id) return;
    event.preventDefault();
    stageFiles(id, files);
  });
  $("image-viewer").addEventListener("click", (event) => {
    // A click beside the image (on the backdrop) closes it.
    if (event.target === $("image-viewer")) $("image-viewer").close();
  });
}
