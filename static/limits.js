// The API's input limits (docs/api.md, "Limits"), mirrored so a person sees the problem at
// the field before sending. The server checks them again; these only save a round trip.

export const MESSAGE_MAX = 4000;
/** The server's default `attachment_max_bytes`; a deployment's own limit still answers 413. */
export const ATTACHMENT_MAX = 10 * 1024 * 1024;
export const ATTACHMENTS_PER_MESSAGE = 10;
export const STATUS_MAX = 140;
export const DISPLAY_NAME_MAX = 64;

// Control characters other than \n and \t (the body rule), and any at all (names).
const BODY_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;
const ANY_CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** Length as the server counts it: Unicode scalar values, not UTF-16 units. */
export const length = (text) => [...text].length;

/** Each check returns an error sentence, or "" when the value is acceptable. */
export function checkUsername(value) {
  const name = value.trim().toLowerCase();
  if (length(name) < 3 || length(name) > 32) return "Usernames are 3-32 characters.";
  if (!/^[a-z0-9_-]+$/.test(name)) return "Use only letters, digits, '_' and '-'.";
  return "";
}

export function checkPassword(value, username = "") {
  if (length(value) < 8) return "Passwords are at least 8 characters.";
  if (length(value) > 256) return "Passwords are at most 256 characters.";
  if (username && value === username.trim().toLowerCase()) return "The password cannot be your username.";
  return "";
}

export function checkDisplayName(value) {
  const name = value.trim();
  if (length(name) < 1 || length(name) > DISPLAY_NAME_MAX) return "Display names are 1-64 characters.";
  if (ANY_CONTROL.test(name)) return "Display names cannot contain control characters.";
  return "";
}

export function checkStatus(value) {
  if (length(value) > STATUS_MAX) return `Status messages are at most ${STATUS_MAX} characters.`;
  if (ANY_CONTROL.test(value)) return "Status messages cannot contain control characters.";
  return "";
}

/** A message's words; none at all only beside files (`withFiles`). */
export function checkBody(value, withFiles = false) {
  const body = value.trim();
  if (!body) return withFiles ? "" : "Type a message first.";
  if (length(body) > MESSAGE_MAX) return `Messages are at most ${MESSAGE_MAX} characters.`;
  if (BODY_CONTROL.test(body)) return "Messages cannot contain control characters.";
  return "";
}

export const TITLE_MAX = 64;
export const TOPIC_MAX = 200;

/**
 * A room name as typed, trimmed and lower-cased (a leading '#' is how rooms are written,
 * so it goes too). Nothing else is changed: a character a name cannot have is refused
 * by checkRoom, never silently dropped. A 64-hex private room id passes through.
 */
export function normaliseRoom(value) {
  return value.trim().replace(/^#/, "").toLowerCase();
}

export const isPrivateRoomId = (value) => /^[0-9a-f]{64}$/.test(value);

export function checkRoom(name) {
  if (isPrivateRoomId(name)) return "";
  if (!name) return "Type a room's name.";
  if (length(name) > 32) return "Room names are at most 32 characters.";
  if (!/^[a-z0-9-]+$/.test(name)) return "Room names use only letters a-z, digits and '-'.";
  return "";
}

// Bidi overrides and zero-width characters: they make text read as something it is not.
const INVISIBLE = /[\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/;

function checkLine(value, max, what) {
  const text = value.trim();
  if (length(text) > max) return `${what} is at most ${max} characters.`;
  if (ANY_CONTROL.test(text) || INVISIBLE.test(text)) return `${what} must be one line of visible text.`;
  return "";
}

export const checkTitle = (value) => checkLine(value, TITLE_MAX, "A room's name");
export const checkTopic = (value) => checkLine(value, TOPIC_MAX, "A topic");
