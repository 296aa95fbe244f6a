// Fault injection on the real stack, no browser: members of a room send messages, each
// send made by two concurrent workers retrying with the same client_id until one is
// acknowledged, while every member follows a stream that reconnects with Last-Event-ID
// (and reloads history after `resync`, as the page does). Meanwhile the server is killed
// (on Spin: `spin up`'s whole process group) and started again, and in Redis mode Redis
// is killed and restarted empty. On the cluster (three `spin up` processes on one sqld
// behind HAProxy) one process is killed and restarted while the other two carry on, then
// sqld is killed and restarted, then (Redis mode) Redis. Afterwards: every acknowledged
// message is in history exactly once, with gapless seqs, and reached every member's
// stream exactly once.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { ChatServer, HOST, sseEvents, uniqueName } from "./harness.mjs";

// Short heartbeats: streams do their rounds (outbox redelivery, lease sweeps) every 2 s.
const FAST = { heartbeat_seconds: "2", presence_ttl_seconds: "4" };
const MEMBERS = 3;
const SEND_FOR_MS = 14_000;

let server;
before(async () => {
  server = await ChatServer.start(HOST, { settings: FAST });
});
after(async () => {
  for (const follower of followers) follower.stop();
  await server?.stop();
});

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** One HTTP call that may fail: `{status, body}`, or `{status: 0}` when nothing answered. */
async function call(method, path, { token, body } = {}) {
  const headers = { accept: "application/json" };
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers["content-type"] = "application/json";
  try {
    const response = await fetch(server.base + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
    const text = await response.text();
    let parsed = null;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      parsed = { unparsed: text };
    }
    return { status: response.status, body: parsed };
  } catch {
    return { status: 0, body: null };
  }
}

/** Retries a call until it answers one of `ok` (the server may be down meanwhile). */
async function until(ok, method, path, options, deadlineMs = 60_000) {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const answer = await call(method, path, options);
    if (ok.includes(answer.status)) return answer;
    if (Date.now() > deadline) throw new Error(`${method} ${path}: still ${answer.status} ${JSON.stringify(answer.body)}`);
    await sleep(150);
  }
}

/** Every message of the room, oldest first, through the history pages. */
async function history(who, roomId) {
  const all = [];
  let before = null;
  for (;;) {
    const query = before ? `?limit=100&before_seq=${before}` : "?limit=100";
    const page = await until([200], "GET", `/api/conversations/${roomId}/messages${query}`, { token: who.token });
    all.unshift(...page.body.messages);
    if (!page.body.has_more || page.body.messages.length === 0) return all;
    before = page.body.messages[0].seq;
  }
}

/**
 * Follows a user's events like the page: reconnects after any end or error with the last
 * id; on `resync` reloads the room's history. Counts each message id per epoch (the
 * stretch between resyncs): a second delivery within one epoch is a double.
 */
function follow(who, roomId) {
  const state = { lastId: null, epoch: 0, seen: new Map(), doubles: [], reloaded: new Set(), stopped: false, controller: null, awayUntil: 0 };
  state.stop = () => {
    state.stopped = true;
    state.controller?.abort();
  };
  // Drops the stream and stays away (a laptop asleep), then resumes from the last id.
  state.goAway = (ms) => {
    state.awayUntil = Date.now() + ms;
    state.controller?.abort();
  };
  const record = (id) => {
    const key = `${state.epoch}:${id}`;
    if (state.seen.has(key)) state.doubles.push(id);
    state.seen.set(key, true);
  };
  state.has = (id) => state.reloaded.has(id) || [...state.seen.keys()].some((k) => k.endsWith(`:${id}`));
  (async () => {
    while (!state.stopped) {
      while (Date.now() < state.awayUntil) await sleep(100);
      try {
        state.controller = new AbortController();
        const headers = { authorization: `Bearer ${who.token}`, accept: "text/event-stream" };
        if (state.lastId) headers["last-event-id"] = state.lastId;
        const response = await fetch(`${server.base}/api/events`, { headers, signal: state.controller.signal });
        if (response.status !== 200) {
          await response.text().catch(() => {});
          await sleep(300);
          continue;
        }
        for await (const { id, type, data } of sseEvents(response)) {
          if (type === "resync") {
            state.epoch += 1;
            for (const message of await history(who, roomId)) state.reloaded.add(message.id);
          } else if (type === "message" && data.conversation_id === roomId) {
            record(data.message.id);
          }
          if (id) state.lastId = id;
        }
      } catch {
        // The server went away mid-stream, or the stream was stopped.
      }
      if (!state.stopped) await sleep(200);
    }
  })();
  return state;
}

const followers = [];

test("nothing acknowledged is lost or doubled across server and Redis crashes", { timeout: 240_000 }, async (t) => {
  const people = [];
  for (let i = 0; i < MEMBERS; i++) {
    const username = uniqueName(`fault${i}`);
    const signed = await until([201], "POST", "/api/auth/signup", { body: { username, password: "long enough 1" } });
    people.push({ username, token: signed.body.token });
  }
  const name = uniqueName("faultroom");
  const created = await until([201], "POST", "/api/rooms", { token: people[0].token, body: { name } });
  const roomId = created.body.id;
  for (const member of people.slice(1)) await until([200], "POST", `/api/rooms/${name}/join`, { token: member.token });
  for (const member of people) followers.push(follow(member, roomId));
  await sleep(1000);

  // Each message is sent by two workers at once with one client_id, each retrying until
  // acknowledged; both must get the same message.
  const acknowledged = new Map(); // client_id -> message id
  const sendUntilAcknowledged = async (who, clientId, body) => {
    const attempt = () => until([200, 201], "POST", `/api/conversations/${roomId}/messages`, { token: who.token, body: { body, client_id: clientId } }, 120_000);
    const [a, b] = await Promise.all([attempt(), attempt()]);
    assert.equal(a.body.id, b.body.id, `${clientId}: both retries answer with one message`);
    acknowledged.set(clientId, a.body.id);
  };
  let sending = true;
  const senders = people.map(async (who, n) => {
    for (let i = 0; sending; i++) {
      await sendUntilAcknowledged(who, `m${n}-${i}`, `message ${i} from ${who.username}`);
      await sleep(40);
    }
  });

  // The faults, while the senders and streams carry on.
  const started = Date.now();
  const at = (ms) => sleep(Math.max(0, started + ms - Date.now()));
  if (server.cluster) {
    // One process dies with the streams and sends it held; the proxy sends the retries
    // and reconnects to the two others, and the process comes back.
    await at(1_500);
    await server.cluster.killNode(1);
    await at(4_000);
    await server.cluster.startNode(1);
    // The shared database goes away for a second and a half and comes back with its data.
    await at(6_000);
    await server.cluster.restartSqld(1_500);
    if (server.redis) {
      await at(9_000);
      followers[2].goAway(4_000);
      await at(10_000);
      await server.killRedis();
      await at(11_500);
      await server.restartRedis();
    }
  } else {
    if (server.redis) {
      // One member is away while Redis dies with events they had not read yet: when they
      // resume, their old id must not pass for a place in the new, empty Redis.
      await at(1_000);
      followers[2].goAway(4_500);
      await at(2_000);
      await server.killRedis();
      await at(4_000);
      await server.restartRedis();
    } else {
      await at(2_000);
      await server.kill();
      await at(3_500);
      await server.launch();
    }
    await at(7_000);
    await server.kill();
    await at(8_500);
    await server.launch();
  }
  await at(SEND_FOR_MS);
  sending = false;
  await Promise.all(senders);
  assert.ok(acknowledged.size >= 20, `enough traffic to mean something: ${acknowledged.size}`);

  // History: each acknowledged message exactly once, seqs 1..n without a gap.
  const stored = await history(people[0], roomId);
  const byClient = new Map();
  for (const message of stored) byClient.set(message.client_id, [...(byClient.get(message.client_id) ?? []), message]);
  for (const [clientId, id] of acknowledged) {
    const copies = byClient.get(clientId) ?? [];
    assert.equal(copies.length, 1, `${clientId} stored once, not ${copies.length}`);
    assert.equal(copies[0].id, id, `${clientId}: the acknowledged message`);
  }
  assert.deepEqual(stored.map((m) => m.seq), stored.map((_, i) => i + 1), "gapless seqs");

  // Streams: every member's stream gets every acknowledged message (or reloaded it after
  // a resync), none twice. Stragglers come from the outbox at the streams' next rounds.
  const deadline = Date.now() + 60_000;
  for (;;) {
    const missing = followers.flatMap((f, n) => [...acknowledged.values()].filter((id) => !f.has(id)).map((id) => `${people[n].username}:${id}`));
    if (missing.length === 0) break;
    if (Date.now() > deadline) assert.fail(`never reached a stream: ${missing.slice(0, 10).join(", ")} (${missing.length})`);
    await sleep(500);
  }
  for (const [n, follower] of followers.entries()) {
    assert.deepEqual(follower.doubles, [], `${people[n].username}: nothing delivered twice`);
  }
  const resyncs = followers.map((f) => f.epoch).join("/");
  t.diagnostic(`${acknowledged.size} messages acknowledged, ${stored.length} stored; resyncs per stream ${resyncs}`);
});
