// The API's input limits (docs/api.md, "Limits"), mirrored so a person sees the problem at
// the field before sending. The server checks them again; these only save a round trip.

export const MESSAGE_MAX = 4000;
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

export function checkBody(value) {
  const body = value.trim();
  if (!body) return "Type a message first.";
  if (length(body) > MESSAGE_MAX) return `Messages are at most ${MESSAGE_MAX} characters.`;
  if (BODY_CONTROL.test(body)) return "Messages cannot contain control characters.";
  return "";
}

/**
 * A room name as the edge chat demo normalises it: keep letters, digits, '_' and '-',
 * '_' becomes '-', lower case. A 64-hex private room id passes through unchanged.
 */
export function normaliseRoom(value) {
  const name = value.trim().replace(/[^a-zA-Z0-9_-]/g, "").replace(/_/g, "-").toLowerCase();
  return name;
}

export const isPrivateRoomId = (value) => /^[0-9a-f]{64}$/.test(value);

export function checkRoom(name) {
  if (isPrivateRoomId(name)) return "";
  if (!name) return "Room names use letters, digits and '-'.";
  if (name.length > 32) return "Room names are at most 32 characters.";
  return "";
}
