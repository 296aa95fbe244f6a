// What only a cluster can show (three `spin up` processes on one sqld and one Redis behind
// HAProxy, scripts/cluster.mjs), with the default settings: a message sent through one
// process reaches streams held on the two others; a friend whose only stream, on one
// process, ends is seen offline by a watcher on another within the promised minute; and
// the proxy passes each client's own address to the throttles. Runs when
// CHAT_BROWSER_HOST is `cluster` or `cluster-redis`; skipped otherwise.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { request } from "node:http";
import { ChatServer, HOST, sseEvents, uniqueName } from "./harness.mjs";

const ON_CLUSTER = HOST.startsWith("cluster");
let server;

before(async () => {
  if (ON_CLUSTER) server = await ChatServer.start(HOST, { settings: { signups_per_ip_per_hour: "3" } });
});

after(async () => {
  await server?.stop();
});

/** A call to one process (0..2) directly, or through the proxy when `node` is null. */
async function call(node, method, path, { token, body } = {}) {
  const base = node === null ? server.base : server.cluster.nodeBase(node);
  const headers = { accept: "application/json" };
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers["content-type"] = "application/json";
  const response = await fetch(base + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

/** Signs up through the proxy from `fromAddress` (a loopback address of the client's). */
function signupFrom(fromAddress, username, extraHeaders = {}) {
  const target = new URL(server.base);
  const payload = JSON.stringify({ username, password: "long enough 1" });
  return new Promise((done, fail) => {
    const req = request(
      { host: target.hostname, port: target.port, path: "/api/auth/signup", method: "POST", localAddress: fromAddress, headers: { ...extraHeaders, "content-type": "application/json", "content-length": Buffer.byteLength(payload) } },
      (res) => {
        let text = "";
        res.on("data", (chunk) => (text += chunk));
        res.on("end", () => done({ status: res.statusCode, body: text ? JSON.parse(text) : null }));
      },
    );
    req.on("error", fail);
    req.end(payload);
  });
}

let madeFrom = 0;
/** A person signed up through the proxy; each from an address of their own (127.0.1.n). */
async function person(prefix) {
  madeFrom += 1;
  const username = uniqueName(prefix);
  const { status, body } = await signupFrom(`127.0.1.${madeFrom}`, username);
  assert.equal(status, 201, JSON.stringify(body));
  return { username, id: body.user.id, token: body.token };
}

/**
 * Follows a user's events on process `node` only, reconnecting there with Last-Event-ID
 * whenever a stream ends by itself (every stream_seconds).
 */
function follow(who, node) {
  const state = { events: [], stopped: false, controller: null, lastId: null };
  (async () => {
    while (!state.stopped) {
      try {
        state.controller = new AbortController();
        const headers = { authorization: `Bearer ${who.token}`, accept: "text/event-stream" };
        if (state.lastId) headers["last-event-id"] = state.lastId;
        const response = await fetch(`${server.cluster.nodeBase(node)}/api/events`, { headers, signal: state.controller.signal });
        for await (const event of sseEvents(response)) {
          state.events.push(event);
          if (event.id) state.lastId = event.id;
        }
      } catch {
        // stopped, or the stream broke: go round again
      }
      if (!state.stopped) await new Promise((r) => setTimeout(r, 200));
    }
  })();
  state.stop = () => {
    state.stopped = true;
    state.controller?.abort();
  };
  state.waitFor = async (match, what, timeoutMs) => {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const found = state.events.find(match);
      if (found) return found;
      if (Date.now() > until) throw new Error(`no ${what} within ${timeoutMs} ms (got ${state.events.map((e) => e.type)})`);
      await new Promise((r) => setTimeout(r, 200));
    }
  };
  return state;
}

async function befriend(a, b) {
  assert.equal((await call(null, "POST", "/api/friends/requests", { token: a.token, body: { username: b.username } })).status, 201);
  assert.equal((await call(null, "POST", `/api/friends/requests/${a.username}/accept`, { token: b.token })).status, 200);
}

test("a message sent through one process reaches streams held on the two others", { skip: !ON_CLUSTER && "needs the cluster" }, async () => {
  const [ann, bob, cat] = [await person("ann"), await person("bob"), await person("cat")];
  const room = uniqueName("spread");
  const created = await call(0, "POST", "/api/rooms", { token: ann.token, body: { name: room } });
  assert.equal(created.status, 201);
  assert.equal((await call(1, "POST", `/api/rooms/${room}/join`, { token: bob.token })).status, 200);
  assert.equal((await call(2, "POST", `/api/rooms/${room}/join`, { token: cat.token })).status, 200);
  const bobOnB = follow(bob, 1);
  const catOnC = follow(cat, 2);
  try {
    await new Promise((r) => setTimeout(r, 1_000));
    const sent = await call(0, "POST", `/api/conversations/${created.body.id}/messages`, { token: ann.token, body: { body: "through A", client_id: "a1" } });
    assert.equal(sent.status, 201);
    for (const [name, stream] of [["bob on B", bobOnB], ["cat on C", catOnC]]) {
      const event = await stream.waitFor((e) => e.type === "message" && e.data.message.id === sent.body.id, `the message on ${name}`, 10_000);
      assert.equal(event.data.message.body, "through A", name);
    }
    // And a direct message the other way round, between friends on B and C.
    await befriend(bob, cat);
    const direct = await call(1, "POST", "/api/conversations/direct", { token: bob.token, body: { username: cat.username } });
    assert.equal(direct.status, 201);
    const dm = await call(1, "POST", `/api/conversations/${direct.body.id}/messages`, { token: bob.token, body: { body: "through B", client_id: "b1" } });
    assert.equal(dm.status, 201);
    await catOnC.waitFor((e) => e.type === "message" && e.data.message.id === dm.body.id, "the direct message on C", 10_000);
  } finally {
    bobOnB.stop();
    catOnC.stop();
  }
});

test("a friend whose only stream, on one process, ends is offline on another within a minute", { skip: !ON_CLUSTER && "needs the cluster", timeout: 120_000 }, async () => {
  const [dan, eve] = [await person("dan"), await person("eve")];
  await befriend(dan, eve);
  const watcher = follow(eve, 2);
  const danOnB = follow(dan, 1);
  try {
    await watcher.waitFor((e) => e.type === "presence" && e.data.user_id === dan.id && e.data.presence === "online", "dan online", 15_000);
    const seenAt = watcher.events.length;
    const cut = Date.now();
    danOnB.stop(); // his tab dies without a word
    const offline = await watcher.waitFor(
      (e, i) => i >= seenAt && e.type === "presence" && e.data.user_id === dan.id && e.data.presence === "offline",
      "dan offline",
      60_000,
    );
    assert.ok(offline);
    const took = Date.now() - cut;
    const seen = await call(2, "GET", `/api/users/${dan.username}`, { token: eve.token });
    assert.equal(seen.body.presence, "offline");
    console.log(`# offline seen on another process ${took} ms after the stream was cut`);
  } finally {
    watcher.stop();
    danOnB.stop();
  }
});

test("the proxy passes each client's own address to the signup throttle", { skip: !ON_CLUSTER && "needs the cluster" }, async () => {
  // signups_per_ip_per_hour = 3 in this cluster; every process sees only the proxy
  // (127.0.0.2) as its peer, so a bucket per client shows the address came through.
  const statuses = [];
  for (let n = 0; n < 4; n++) statuses.push((await signupFrom("127.0.0.9", uniqueName("crowd"))).status);
  assert.deepEqual(statuses, [201, 201, 201, 429], "one client, one bucket, whichever process answered");
  assert.equal((await signupFrom("127.0.0.10", uniqueName("other"))).status, 201, "another client has a bucket of its own");
  // A client cannot pick a bucket by sending its own X-Forwarded-For: the proxy appends
  // the address it saw, and that is the one that counts.
  const forged = [];
  for (let n = 0; n < 4; n++) {
    forged.push((await signupFrom("127.0.0.11", uniqueName("forged"), { "x-forwarded-for": `198.51.100.${n}` })).status);
  }
  assert.deepEqual(forged, [201, 201, 201, 429], "a forged X-Forwarded-For opens no fresh bucket");
});
