// The HTTP API black-box, with no browser: what any host must do (chat-dev, or real Spin 3.x
// and 4.x in either bus mode): sign up, friends, direct and room messages, SSE delivery,
// exact resume after a disconnect, presence going offline, the publish API, and health
// answering 503 while Redis is down (Redis mode).

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { ChatServer, HOST, png, sseEvents, totp, uniqueName } from "./harness.mjs";

const PUBLISH_KEY = "api-test-publish-key-0123456789-abcdefghijklmnopqrstuvwxyz";
// Short leases and heartbeats, so "offline" is seen within seconds.
const FAST = { presence_ttl_seconds: "4", heartbeat_seconds: "2", publish_key: PUBLISH_KEY };
let server;

before(async () => {
  server = await ChatServer.start(HOST, { settings: FAST });
});

after(async () => {
  await server?.stop();
});

async function person(prefix) {
  const username = uniqueName(prefix);
  const { status, body } = await server.api("POST", "/api/auth/signup", { body: { username, password: "long enough 1" } });
  assert.equal(status, 201);
  return { username, id: body.user.id, token: body.token };
}

const as = (who, method, path, body) => server.api(method, path, { token: who.token, body });

/** An open event stream, parsed: `next(type)` waits for the next event of that type. */
async function stream(who, lastEventId) {
  const controller = new AbortController();
  const headers = { authorization: `Bearer ${who.token}`, accept: "text/event-stream" };
  if (lastEventId) headers["last-event-id"] = lastEventId;
  const response = await fetch(`${server.base}/api/events`, { headers, signal: controller.signal });
  assert.equal(response.status, 200);
  assert.match(response.headers.get("content-type"), /^text\/event-stream/);
  const events = [];
  let waiting = null;
  const pump = (async () => {
    try {
      for await (const event of sseEvents(response)) {
        events.push(event);
        waiting?.();
      }
    } catch {
      // aborted
    }
  })();
  return {
    events,
    lastId: () => events.filter((e) => e.id).at(-1)?.id,
    async next(type, timeoutMs = 15_000, from = 0) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const found = events.slice(from).find((e) => e.type === type);
        if (found) return found;
        if (Date.now() > until) throw new Error(`no ${type} event within ${timeoutMs} ms (got ${events.map((e) => e.type)})`);
        await new Promise((r) => {
          waiting = r;
          setTimeout(r, 200);
        });
      }
    },
    async close() {
      controller.abort();
      await pump;
    },
  };
}

let ann;
let bob;
let direct;

test("health names the bus; signup and friends work", async () => {
  const health = await server.api("GET", "/api/health");
  assert.equal(health.status, 200);
  assert.equal(health.body.bus, server.redisUrl ? "redis" : "sqlite");
  ann = await person("ann");
  bob = await person("bob");
  assert.equal((await as(ann, "POST", "/api/friends/requests", { username: bob.username })).status, 201);
  assert.equal((await as(bob, "POST", `/api/friends/requests/${ann.username}/accept`)).status, 200);
  const friends = await as(ann, "GET", "/api/friends");
  assert.deepEqual(friends.body.friends.map((f) => f.user.username), [bob.username]);
});

test("direct and room messages reach the other side's stream, in order", async () => {
  const bobStream = await stream(bob);
  const opened = await as(ann, "POST", "/api/conversations/direct", { username: bob.username });
  assert.equal(opened.status, 201);
  direct = opened.body.id;
  const sent = await as(ann, "POST", `/api/conversations/${direct}/messages`, { body: "hello bob", client_id: "d1" });
  assert.equal(sent.status, 201);
  const event = await bobStream.next("message");
  assert.equal(event.data.message.body, "hello bob");
  assert.ok(event.id, "events carry ids");

  const room = uniqueName("room");
  assert.equal((await as(ann, "POST", "/api/rooms", { name: room })).status, 201);
  const joined = await as(bob, "POST", `/api/rooms/${room}/join`);
  assert.equal(joined.status, 200);
  const mark = bobStream.events.length;
  await as(ann, "POST", `/api/conversations/${joined.body.id}/messages`, { body: "hello room", client_id: "r1" });
  assert.equal((await bobStream.next("message", 15_000, mark)).data.message.body, "hello room");
  const retry = await as(ann, "POST", `/api/conversations/${joined.body.id}/messages`, { body: "hello room", client_id: "r1" });
  assert.equal(retry.status, 200, "a retry is not a second message");
  await bobStream.close();
});

test("a room's owner bans a member, who hears of it live and is refused at the door", async () => {
  const cat = await person("cat");
  const room = uniqueName("kept");
  const made = await as(ann, "POST", "/api/rooms", { name: room });
  assert.equal(made.status, 201);
  assert.equal(made.body.role, "owner");
  const joined = await as(cat, "POST", `/api/rooms/${room}/join`);
  assert.equal(joined.body.role, "member");
  const id = joined.body.id;
  const catStream = await stream(cat);
  const sent = await as(cat, "POST", `/api/conversations/${id}/messages`, { body: "spam", client_id: "s1" });
  assert.equal((await as(bob, "POST", `/api/rooms/${room}/join`)).status, 200);
  const filed = await as(bob, "POST", `/api/conversations/${id}/messages/${sent.body.id}/report`, { reason: "spam" });
  assert.equal(filed.status, 201);
  assert.equal((await as(ann, "GET", `/api/conversations/${id}/reports`)).body.reports.length, 1);
  assert.equal((await as(ann, "DELETE", `/api/conversations/${id}/messages/${sent.body.id}`)).status, 204);
  assert.deepEqual((await as(ann, "GET", `/api/conversations/${id}/reports`)).body.reports, []);
  const banned = await as(ann, "POST", `/api/conversations/${id}/bans`, { username: cat.username, reason: "spam" });
  assert.equal(banned.status, 201);
  const left = await catStream.next("member_left");
  assert.deepEqual(left.data, { conversation_id: id, user_id: cat.id, removed_by: ann.id, banned: true });
  const again = await as(cat, "POST", `/api/rooms/${room}/join`);
  assert.equal(again.status, 403);
  assert.equal(again.body.error.code, "banned");
  // The owner leaves: bob, the longest-standing member left, owns the room.
  assert.equal((await as(ann, "POST", `/api/conversations/${id}/leave`)).status, 204);
  assert.equal((await as(bob, "GET", `/api/conversations/${id}`)).body.role, "owner");
  await catStream.close();
});

test("search finds the caller's messages only, and follows edits and deletions", async () => {
  const eve = await person("eve");
  const room = (await as(eve, "POST", "/api/rooms", { name: uniqueName("secret") })).body.id;
  await as(eve, "POST", `/api/conversations/${room}/messages`, { body: "eve's kumquat recipe", client_id: "e1" });
  const first = await as(ann, "POST", `/api/conversations/${direct}/messages`, { body: "kumquat jam on Sunday?", client_id: "s1" });
  const second = await as(bob, "POST", `/api/conversations/${direct}/messages`, { body: "Kumquats, yes!", client_id: "s2" });
  const found = async (who, q) => {
    const answer = await as(who, "GET", `/api/search?q=${encodeURIComponent(q)}`);
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    return answer.body.results.map((hit) => hit.message.body);
  };
  assert.deepEqual(await found(ann, "kumquat"), ["Kumquats, yes!", "kumquat jam on Sunday?"], "newest first, prefix match, never Eve's room");
  const hit = (await as(ann, "GET", "/api/search?q=jam")).body.results[0];
  assert.deepEqual(hit.snippet.filter((part) => part.matched).map((part) => part.text), ["jam"]);

  const path = (message) => `/api/conversations/${direct}/messages/${message.body.id}`;
  assert.equal((await as(ann, "PATCH", path(first), { body: "marmalade on Sunday?" })).status, 200);
  assert.equal((await as(bob, "DELETE", path(second))).status, 204);
  assert.deepEqual(await found(ann, "kumquat"), [], "an edit's old words and a deleted message are gone");
  assert.deepEqual(await found(bob, "marmalade"), ["marmalade on Sunday?"]);
  assert.equal((await as(ann, "GET", "/api/search?q=%21%21")).body.error.code, "invalid_query");
});

test("a file streams up in parts, is served by range to members, and goes with its message", async () => {
  const bytes = Buffer.alloc(1024 * 1024 + 17);
  for (let i = 0; i < bytes.length; i += 1) bytes[i] = (i * 7 + Math.floor(i / 251)) % 256;
  const upload = await fetch(`${server.base}/api/conversations/${direct}/attachments?name=data.bin`, {
    method: "POST",
    headers: { authorization: `Bearer ${ann.token}`, "content-type": "application/octet-stream" },
    body: bytes,
  });
  const file = await upload.json();
  assert.equal(upload.status, 201, JSON.stringify(file));
  assert.equal(file.size, bytes.length);
  const sent = await as(ann, "POST", `/api/conversations/${direct}/messages`, { body: "the data", client_id: "f1", attachments: [file.id] });
  assert.equal(sent.status, 201, JSON.stringify(sent.body));
  const get = (who, headers = {}) => fetch(server.base + file.url, { headers: { authorization: `Bearer ${who.token}`, ...headers } });
  const whole = await get(bob);
  assert.equal(whole.status, 200);
  assert.equal(whole.headers.get("content-type"), "application/octet-stream");
  assert.ok(Buffer.from(await whole.arrayBuffer()).equals(bytes), "the same bytes back");
  const part = await get(bob, { range: "bytes=262140-262150" });
  assert.equal(part.status, 206);
  assert.ok(Buffer.from(await part.arrayBuffer()).equals(bytes.subarray(262140, 262151)), "a range across two parts");
  const eve = await person("eve");
  assert.equal((await get(eve)).status, 404, "not a member");
  assert.equal((await as(ann, "DELETE", `/api/conversations/${direct}/messages/${sent.body.id}`)).status, 204);
  assert.equal((await get(bob)).status, 404, "gone with its message");
});

test("a big picture gets a scaled preview, made inside the component", async () => {
  const upload = await fetch(`${server.base}/api/conversations/${direct}/attachments?name=wide.png`, {
    method: "POST",
    headers: { authorization: `Bearer ${ann.token}`, "content-type": "application/octet-stream" },
    body: png(1600, 1000),
  });
  const picture = await upload.json();
  assert.equal(upload.status, 201, JSON.stringify(picture));
  assert.deepEqual([picture.width, picture.height], [1600, 1000]);
  assert.equal(picture.preview_url, `${picture.url}/preview`);
  const preview = await fetch(server.base + picture.preview_url, { headers: { authorization: `Bearer ${ann.token}` } });
  assert.equal(preview.status, 200);
  assert.equal(preview.headers.get("content-type"), "image/jpeg");
  const bytes = Buffer.from(await preview.arrayBuffer());
  assert.ok(bytes.length > 100 && bytes.length < 200 * 1024, `${bytes.length} bytes`);
  // A JPEG's frame header (SOF0) holds its size: 640 x 400.
  const sof = bytes.indexOf(Buffer.from([0xff, 0xc0]));
  assert.deepEqual([bytes.readUInt16BE(sof + 7), bytes.readUInt16BE(sof + 5)], [640, 400]);
});

test("a stream resumed with Last-Event-ID gets exactly what it missed", async () => {
  const first = await stream(bob);
  await as(ann, "POST", `/api/conversations/${direct}/messages`, { body: "seen live", client_id: "d2" });
  await first.next("message");
  const resumeFrom = first.lastId();
  await first.close();
  for (const [i, body] of ["missed one", "missed two"].entries()) {
    assert.equal((await as(ann, "POST", `/api/conversations/${direct}/messages`, { body, client_id: `m${i}` })).status, 201);
  }
  const again = await stream(bob, resumeFrom);
  await again.next("message");
  await new Promise((r) => setTimeout(r, 1500));
  const bodies = again.events.filter((e) => e.type === "message").map((e) => e.data.message.body);
  assert.deepEqual(bodies, ["missed one", "missed two"]);
  await again.close();
});

test("a friend whose stream is cut goes offline", async () => {
  const watcher = await stream(bob);
  const annStream = await stream(ann);
  const online = await watcher.next("presence");
  assert.deepEqual(online.data, { user_id: ann.id, presence: "online" });
  const mark = watcher.events.length;
  await annStream.close(); // no goodbye: the lease lapses
  const offline = await watcher.next("presence", 30_000, mark);
  const { last_seen_at: lastSeen, ...offlineData } = offline.data;
  assert.deepEqual(offlineData, { user_id: ann.id, presence: "offline" });
  assert.ok(!Number.isNaN(Date.parse(lastSeen)), `it says when she was last seen: ${lastSeen}`);
  await watcher.close();
});

test("a friend who goes while the watcher is away is offline when the watcher resumes", async () => {
  let watcher = await stream(bob);
  const annStream = await stream(ann);
  const online = await watcher.next("presence");
  assert.deepEqual(online.data, { user_id: ann.id, presence: "online" });
  const resumeFrom = watcher.lastId();
  await watcher.close(); // the watcher's own stream goes too (a reconnect, a sleeping laptop)
  await annStream.close(); // and Ann's tab dies without a word
  await new Promise((r) => setTimeout(r, 8_000)); // past her lease (4 s) and a heartbeat (2 s)
  watcher = await stream(bob, resumeFrom);
  const offline = await watcher.next("presence", 30_000);
  const { last_seen_at: lastSeen, ...offlineData } = offline.data;
  assert.deepEqual(offlineData, { user_id: ann.id, presence: "offline" }, "no ghost across the watcher's reconnect");
  assert.ok(!Number.isNaN(Date.parse(lastSeen)), `it says when she was last seen: ${lastSeen}`);
  const seen = await as(bob, "GET", `/api/users/${ann.username}`);
  assert.equal(seen.body.presence, "offline");
  await watcher.close();
});

test("the publish API pushes a notification, with the right key only", async () => {
  const bobStream = await stream(bob);
  const wrong = await server.api("POST", `/api/publish/${bob.username}`, { token: "nope", body: { text: "x" } });
  assert.equal(wrong.status, 401);
  const pushed = await server.api("POST", `/api/publish/${bob.username}`, { token: PUBLISH_KEY, body: { text: "deploy done" } });
  assert.equal(pushed.status, 202);
  assert.deepEqual((await bobStream.next("notification")).data, { text: "deploy done" });
  await bobStream.close();
});

test("with Redis down health answers 503 naming the bus, then recovers", { skip: !HOST.endsWith("-redis") && "embedded mode has no Redis" }, async () => {
  await server.killRedis();
  const down = await server.api("GET", "/api/health");
  assert.equal(down.status, 503);
  assert.deepEqual(down.body.error.failing, ["bus"]);
  const send = await as(ann, "POST", `/api/conversations/${direct}/messages`, { body: "while down", client_id: "x1" });
  assert.equal(send.status, 503);
  await server.restartRedis();
  assert.equal((await server.api("GET", "/api/health")).status, 200);
});

test("the signup throttle counts the real peer, whatever address headers the client sends", async () => {
  // Spin appends its own spin-client-addr after the client's headers; a forged one (or an
  // X-Forwarded-For, with no trusted proxy configured) must not open a fresh bucket.
  const strict = await ChatServer.start(HOST, { settings: { signups_per_ip_per_hour: "2" } });
  try {
    const statuses = [];
    for (let n = 1; n <= 3; n++) {
      const response = await fetch(`${strict.base}/api/auth/signup`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "spin-client-addr": `203.0.113.${n}:4000`,
          "x-forwarded-for": `198.51.100.${n}`,
        },
        body: JSON.stringify({ username: uniqueName("forged"), password: "long enough 1" }),
      });
      statuses.push(response.status);
    }
    assert.deepEqual(statuses, [201, 201, 429]);
  } finally {
    await strict.stop();
  }
});

test("with an authenticator set up, a login waits for its code", async () => {
  const ann = await person("totp");
  const setup = await as(ann, "POST", "/api/auth/second-factor/totp", { password: "long enough 1" });
  assert.equal(setup.status, 200);
  const first = totp(setup.body.secret);
  const confirmed = await as(ann, "POST", "/api/auth/second-factor/totp/confirm", { code: first });
  assert.equal(confirmed.status, 200);
  assert.equal(confirmed.body.recovery_codes.length, 10);
  const login = await server.api("POST", "/api/auth/login", { body: { username: ann.username, password: "long enough 1" } });
  assert.equal(login.status, 202);
  assert.equal(login.body.token, undefined);
  const finish = (code) => server.api("POST", "/api/auth/login/second-factor", { body: { challenge: login.body.challenge, code } });
  assert.equal((await finish(first)).body.error.code, "invalid_code", "that code was used");
  const signed = await finish(totp(setup.body.secret, 1));
  assert.equal(signed.status, 200);
  assert.equal(signed.body.user.id, ann.id);
  assert.equal(signed.body.token.length, 64);
});
