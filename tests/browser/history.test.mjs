// A long history in the browser: the newest page first, older pages while scrolling up,
// nothing twice and nothing missing, the beginning marked, day separators in place.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { ChatServer, openPerson, bodies, uniqueName } from "./harness.mjs";

let server;
let reader;

before(async () => {
  server = await ChatServer.start();
});

after(async () => {
  assert.deepEqual(reader?.errors ?? [], [], "no script errors on the page");
  await reader?.close();
  await server?.stop();
});

test("scrolling up pages back through the whole history", async () => {
  const password = "long enough 1";
  const [writer, me] = [uniqueName("wr"), uniqueName("rd")];
  const tokens = {};
  for (const name of [writer, me]) {
    tokens[name] = (await server.api("POST", "/api/auth/signup", { body: { username: name, password } })).body.token;
  }
  const room = uniqueName("long");
  const created = await server.api("POST", "/api/rooms", { token: tokens[writer], body: { name: room } });
  await server.api("POST", `/api/rooms/${room}/join`, { token: tokens[me] });
  const total = 130;
  for (let i = 1; i <= total; i += 1) {
    const sent = await server.api("POST", `/api/conversations/${created.body.id}/messages`, {
      token: tokens[writer],
      body: { body: `message ${i}`, client_id: `c${i}` },
    });
    assert.equal(sent.status, 201);
  }

  // The reader has read it all elsewhere, so the page opens at the newest message rather
  // than at the first unread one (polish.test.mjs covers that).
  const read = await server.api("POST", `/api/conversations/${created.body.id}/read`, { token: tokens[me], body: { seq: total } });
  assert.equal(read.status, 204);

  reader = await openPerson(server);
  // A browser never signed in here opens on "Create account".
  await reader.page.click("#tab-login");
  await reader.page.fill("#login-username", me);
  await reader.page.fill("#login-password", password);
  await reader.page.click("#login-form [type=submit]");
  await reader.page.click(`.conversation-list .row-main`);
  await reader.page.locator("#log .body", { hasText: `message ${total}` }).waitFor();
  assert.equal((await bodies(reader.page)).length, 50, "the newest page first");

  for (let round = 0; round < 10; round += 1) {
    if (await reader.page.locator("#log .more", { hasText: "beginning of the conversation" }).count()) break;
    await reader.page.locator("#log").evaluate((log) => { log.scrollTop = 0; });
    await reader.page.waitForTimeout(300);
  }
  await reader.page.locator("#log .more", { hasText: "beginning of the conversation" }).waitFor();
  const expected = Array.from({ length: total }, (_, i) => `message ${i + 1}`);
  assert.deepEqual(await bodies(reader.page), expected, "every message once, in order");
  assert.equal(await reader.page.locator("#log .day").count(), 1, "one day, one separator");
});
