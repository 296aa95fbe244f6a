// The API client: one `request` that speaks docs/api.md (JSON bodies, the error shape,
// `Retry-After`), and one small function per route the page uses.

/** An API error: the HTTP status, the stable `code`, the message, and `retryAfter` (s). */
export class ApiError extends Error {
  constructor(status, code, message, retryAfter = 0) {
    super(message);
    this.status = status;
    this.code = code;
    this.retryAfter = retryAfter;
  }

  /** True when trying the same request again later may succeed. */
  get transient() {
    return this.status === 0 || this.status === 429 || this.status >= 500;
  }
}

/**
 * Calls the API. Writes always send `Content-Type: application/json` (the CSRF rule for
 * cookie sessions), with `{}` when the route takes no body. Resolves to the JSON body, or
 * null for 204; rejects with an ApiError (status 0 when the network failed).
 */
export async function request(method, path, body) {
  const init = { method, headers: { accept: "application/json" }, credentials: "same-origin" };
  if (method !== "GET") {
    init.headers["content-type"] = "application/json";
    init.body = JSON.stringify(body ?? {});
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch {
    throw new ApiError(0, "network", "The server cannot be reached.");
  }
  if (response.status === 204) return null;
  const text = await response.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  if (response.ok) return json;
  const error = json?.error ?? {};
  const retryAfter = Number.parseInt(response.headers.get("retry-after") ?? "0", 10) || 0;
  throw new ApiError(
    response.status,
    error.code ?? "http_" + response.status,
    response.status >= 500 ? serverTrouble(response.status) : error.message ?? `The server answered ${response.status}.`,
    retryAfter,
  );
}

/**
 * What a person is told when the server fails: the API's own message for a 5xx names the
 * part that failed ("the event bus is unavailable"), which helps an operator, not them.
 */
function serverTrouble(status) {
  return status === 500
    ? "Something went wrong on the server. Please try again."
    : "The chat service is unavailable right now. Please try again in a moment.";
}

const enc = encodeURIComponent;

/** Sends `bytes` (a Blob) as the body, as `application/octet-stream`; like `request`. */
async function sendBytes(method, path, bytes) {
  let response;
  try {
    response = await fetch(path, {
      method, body: bytes, credentials: "same-origin",
      headers: { accept: "application/json", "content-type": "application/octet-stream" },
    });
  } catch {
    throw new ApiError(0, "network", "The server cannot be reached.");
  }
  const json = await response.json().catch(() => null);
  if (response.ok) return json;
  const error = json?.error ?? {};
  const retryAfter = Number.parseInt(response.headers.get("retry-after") ?? "0", 10) || 0;
  throw new ApiError(response.status, error.code ?? "http_" + response.status,
    response.status >= 500 ? serverTrouble(response.status) : error.message ?? `The server answered ${response.status}.`, retryAfter);
}

/**
 * Uploads `file` into a conversation with its progress told to `onProgress(bytesSent)`
 * (fetch cannot tell upload progress; XMLHttpRequest can). The bytes go as
 * `application/octet-stream`, the type the CSRF rule takes for a file. Returns
 * `{done, abort}`: `done` resolves to the attachment, or rejects with an ApiError
 * (`aborted` when `abort()` was called).
 */
export function upload(conversationId, file, onProgress) {
  const xhr = new XMLHttpRequest();
  const done = new Promise((resolve, reject) => {
    xhr.open("POST", `/api/conversations/${enc(conversationId)}/attachments?name=${enc(file.name || "file")}`);
    xhr.setRequestHeader("content-type", "application/octet-stream");
    xhr.setRequestHeader("accept", "application/json");
    xhr.upload.onprogress = (event) => onProgress(event.loaded);
    xhr.onerror = () => reject(new ApiError(0, "network", "The upload broke off: the server cannot be reached."));
    xhr.onabort = () => reject(new ApiError(0, "aborted", "The upload was cancelled."));
    xhr.onload = () => {
      let json = null;
      try {
        json = xhr.responseText ? JSON.parse(xhr.responseText) : null;
      } catch {
        json = null;
      }
      if (xhr.status >= 200 && xhr.status < 300) return resolve(json);
      const error = json?.error ?? {};
      const retryAfter = Number.parseInt(xhr.getResponseHeader("retry-after") ?? "0", 10) || 0;
      reject(new ApiError(xhr.status, error.code ?? "http_" + xhr.status,
        xhr.status >= 500 ? serverTrouble(xhr.status) : error.message ?? `The server answered ${xhr.status}.`, retryAfter));
    };
    xhr.send(file);
  });
  return { done, abort: () => xhr.abort() };
}

export const api = {
  session: () => request("GET", "/api/auth/session"),
  signup: (username, password, display_name) =>
    request("POST", "/api/auth/signup", display_name ? { username, password, display_name } : { username, password }),
  /** `{user}` signed in, or `{second_factor_required, challenge}` waiting for a code. */
  login: (username, password) => request("POST", "/api/auth/login", { username, password }),
  loginSecondFactor: (challenge, code) => request("POST", "/api/auth/login/second-factor", { challenge, code }),
  secondFactor: () => request("GET", "/api/auth/second-factor"),
  startTotp: (password) => request("POST", "/api/auth/second-factor/totp", { password }),
  confirmTotp: (code) => request("POST", "/api/auth/second-factor/totp/confirm", { code }),
  removeSecondFactor: (password) => request("POST", "/api/auth/second-factor/remove", { password }),
  renewRecoveryCodes: (password) => request("POST", "/api/auth/second-factor/recovery-codes", { password }),
  logout: () => request("POST", "/api/auth/logout"),
  changePassword: (current_password, new_password) =>
    request("POST", "/api/auth/password", { current_password, new_password }),
  sessions: () => request("GET", "/api/auth/sessions"),
  securityEvents: () => request("GET", "/api/auth/security-events"),
  apiTokens: () => request("GET", "/api/auth/tokens"),
  createApiToken: (name, password) => request("POST", "/api/auth/tokens", { name, password }),
  revokeApiToken: (id) => request("DELETE", `/api/auth/tokens/${enc(id)}`),
  revokeSession: (id) => request("DELETE", `/api/auth/sessions/${enc(id)}`),
  passkeys: () => request("GET", "/api/auth/passkeys"),
  passkeyOptions: () => request("POST", "/api/auth/passkeys/options"),
  addPasskey: (name, credential) => request("POST", "/api/auth/passkeys", { name, credential }),
  removePasskey: (id) => request("DELETE", `/api/auth/passkeys/${enc(id)}`),
  passkeyLoginOptions: () => request("POST", "/api/auth/passkey-login/options"),
  passkeyLogin: (credential) => request("POST", "/api/auth/passkey-login", { credential }),

  me: () => request("GET", "/api/me"),
  exportData: () => request("GET", "/api/me/export"),
  deleteAccount: (password) => request("DELETE", "/api/me", { password }),
  updateMe: (fields) => request("PATCH", "/api/me", fields),
  setPresence: (presence) => request("PUT", "/api/me/presence", { presence }),
  searchUsers: (q) => request("GET", `/api/users?q=${enc(q)}`),
  /** A page of friends (by username, after `after`) with the pending requests. */
  friends: (after) => request("GET", "/api/friends" + (after ? `?after=${enc(after)}` : "")),
  requestFriend: (username) => request("POST", "/api/friends/requests", { username }),
  acceptFriend: (username) => request("POST", `/api/friends/requests/${enc(username)}/accept`),
  declineFriend: (username) => request("POST", `/api/friends/requests/${enc(username)}/decline`),
  cancelRequest: (username) => request("DELETE", `/api/friends/requests/${enc(username)}`),
  removeFriend: (username) => request("DELETE", `/api/friends/${enc(username)}`),
  blocks: () => request("GET", "/api/blocks"),
  block: (username) => request("PUT", `/api/blocks/${enc(username)}`),
  unblock: (username) => request("DELETE", `/api/blocks/${enc(username)}`),

  /** A page of conversations (newest activity first, after the cursor `before`). */
  conversations: (before) => request("GET", "/api/conversations" + (before ? `?before=${enc(before)}` : "")),
  conversation: (id) => request("GET", `/api/conversations/${enc(id)}`),
  openDirect: (username) => request("POST", "/api/conversations/direct", { username }),
  /** A public room (`name`) or a private one (`title`), either with a `topic`. */
  createRoom: (fields = {}) => request("POST", "/api/rooms", fields),
  updateRoom: (id, fields) => request("PATCH", `/api/conversations/${enc(id)}`, fields),
  rooms: (q = "", offset = 0) => request("GET", `/api/rooms?q=${enc(q)}&offset=${offset}&limit=30`),
  upload,
  setAvatar: (picture) => sendBytes("PUT", "/api/me/avatar", picture),
  removeAvatar: () => request("DELETE", "/api/me/avatar"),
  search: ({ q, conversation, from }, before) =>
    request("GET", `/api/search?q=${enc(q)}&limit=20` + (conversation ? `&conversation_id=${enc(conversation)}` : "")
      + (from ? `&from=${enc(from)}` : "") + (before ? `&before=${enc(before)}` : "")),
  joinRoom: (nameOrId) => request("POST", `/api/rooms/${enc(nameOrId)}/join`),
  /** How I want a conversation: `{muted?, hidden?}` (hidden: direct conversations). */
  preferences: (id, fields) => request("PUT", `/api/conversations/${enc(id)}/preferences`, fields),
  leave: (id) => request("POST", `/api/conversations/${enc(id)}/leave`),
  history: (id, beforeSeq, limit = 50) =>
    request("GET", `/api/conversations/${enc(id)}/messages?limit=${limit}` + (beforeSeq ? `&before_seq=${beforeSeq}` : "")),
  send: (id, body, client_id, reply_to = null, attachments = []) =>
    request("POST", `/api/conversations/${enc(id)}/messages`, {
      body, client_id, ...(reply_to ? { reply_to } : {}), ...(attachments.length ? { attachments } : {}),
    }),
  react: (id, messageId, emoji, add) =>
    request(add ? "PUT" : "DELETE", `/api/conversations/${enc(id)}/messages/${enc(messageId)}/reactions/${enc(emoji)}`),
  edit: (id, messageId, body) => request("PATCH", `/api/conversations/${enc(id)}/messages/${enc(messageId)}`, { body }),
  remove: (id, messageId) => request("DELETE", `/api/conversations/${enc(id)}/messages/${enc(messageId)}`),
  typing: (id, typing) => request("POST", `/api/conversations/${enc(id)}/typing`, { typing }),
  read: (id, seq) => request("POST", `/api/conversations/${enc(id)}/read`, { seq }),
  nudge: (id) => request("POST", `/api/conversations/${enc(id)}/nudge`),
  report: (id, messageId, reason) =>
    request("POST", `/api/conversations/${enc(id)}/messages/${enc(messageId)}/report`, { reason }),
  reports: (id) => request("GET", `/api/conversations/${enc(id)}/reports`),
  dismissReport: (id, reportId) => request("DELETE", `/api/conversations/${enc(id)}/reports/${enc(reportId)}`),
  removeMember: (id, username) => request("DELETE", `/api/conversations/${enc(id)}/members/${enc(username)}`),
  setRole: (id, username, role) => request("PUT", `/api/conversations/${enc(id)}/members/${enc(username)}/role`, { role }),
  bans: (id) => request("GET", `/api/conversations/${enc(id)}/bans`),
  ban: (id, username, reason) => request("POST", `/api/conversations/${enc(id)}/bans`, { username, reason }),
  unban: (id, username) => request("DELETE", `/api/conversations/${enc(id)}/bans/${enc(username)}`),
  /** A private room's new invite link: the old one stops working. */
  changeInvite: (id) => request("POST", `/api/conversations/${enc(id)}/invite`),

  health: async () => {
    try {
      const response = await fetch("/api/health", { headers: { accept: "application/json" } });
      return response.status;
    } catch {
      return 0;
    }
  },
};
