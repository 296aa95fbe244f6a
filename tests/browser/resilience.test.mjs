// Faults in the browser: the server killed and restarted mid-conversation (messages sent
// meanwhile appear exactly once, on both sides; presence shows as unknown meanwhile), and
// Redis down (a clear banner, a message written meanwhile sent by itself once it is back,
// without a restart). Runs in Redis mode so both faults can happen.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { ChatServer, HOST_WITH_REDIS, openPerson, signUp, befriend, say, bodies, uniqueName } from "./harness.mjs";

let server;
let ann;
let bob;

before(async () => {
  server = await ChatServer.start(HOST_WITH_REDIS);
  ann = await signUp(await openPerson(server), uniqueName("ann"), { displayName: "Ann" });
  bob = await signUp(await openPerson(server), uniqueName("bob"), { displayName: "Bob" });
  await befriend(ann, bob);
  await ann.page.click(`.contact[data-username="${bob.username}"] .row-main`);
  await say(ann, "before the restart");
  await bob.page.click(".conversation-list .row-main");
  await bob.page.locator("#log .body", { hasText: "before the restart" }).waitFor();
});

after(async () => {
  // A refused connection while the server is down is a network error, not a script error.
  assert.deepEqual([...ann.errors, ...bob.errors], [], "no script errors on the page");
  await ann?.close();
  await bob?.close();
  await server?.stop();
});

const count = (list, text) => list.filter((b) => b === text).length;

test("messages sent around a server restart appear exactly once", async () => {
  await server.kill();
  // "Reconnecting" (nothing answers), or "unavailable" behind a load balancer (it answers
  // 503 for the processes that are gone).
  await ann.page.locator("#banner:not([hidden])").waitFor();
  assert.match(await ann.page.textContent("#banner"), /Reconnecting|unavailable/);
  // Nobody's presence is known meanwhile: Bob's dot no longer claims he is online.
  const bobInList = ann.page.locator(`.contact[data-username="${bob.username}"]`);
  await bobInList.and(ann.page.locator("[data-presence=unknown]")).waitFor();
  assert.equal(await ann.page.locator("#group-online").count(), 0, "nobody listed as online");

  // Bob's send fails while the server is down; he sees it and may retry.
  await say(bob, "sent while down");
  const failed = bob.page.locator("#log .msg.failed", { hasText: "sent while down" });
  await failed.waitFor();
  await failed.getByRole("button", { name: "Retry" }).click();
  await failed.locator("button", { hasText: "Retry" }).waitFor();

  // Ann's network drops too, so her stream stays away while Bob's messages arrive.
  await ann.context.setOffline(true);
  await server.launch();
  // Bob's page resends what failed once its stream is back.
  await bob.page.locator("#log .msg:not(.pending) .body", { hasText: "sent while down" }).waitFor();
  await say(bob, "sent after the restart");
  await bob.page.locator("#log .msg:not(.pending) .body", { hasText: "sent after the restart" }).waitFor();
  await ann.context.setOffline(false);

  await ann.page.locator("#log .body", { hasText: "sent after the restart" }).waitFor();
  await ann.page.locator("#banner").waitFor({ state: "hidden" });
  for (const person of [ann, bob]) {
    const seen = await bodies(person.page);
    assert.equal(count(seen, "sent while down"), 1, `${person.displayName}: once`);
    assert.equal(count(seen, "sent after the restart"), 1, `${person.displayName}: once`);
    assert.equal(count(seen, "before the restart"), 1, `${person.displayName}: once`);
  }
  // The stored history agrees with what the pages show.
  await ann.page.reload();
  await ann.page.click(".conversation-list .row-main");
  await ann.page.locator("#log .body", { hasText: "sent after the restart" }).waitFor();
  assert.deepEqual(await bodies(ann.page), ["before the restart", "sent while down", "sent after the restart"]);
});

test("with Redis down the page says the service is unavailable, then recovers and sends what waited", async () => {
  await server.killRedis();
  await ann.page.locator("#banner[data-state=unavailable]", { hasText: "unavailable" }).waitFor({ timeout: 60_000 });
  assert.doesNotMatch(await ann.page.textContent("#banner"), /503|bus/, "no technical terms");
  // A message written meanwhile waits, in plain words, and goes out by itself.
  await say(bob, "written while Redis was down");
  const waiting = bob.page.locator("#log .msg.failed", { hasText: "written while Redis was down" });
  await waiting.locator(".msg-failed", { hasText: "goes out by itself" }).waitFor();
  assert.doesNotMatch(await waiting.textContent(), /503|bus/, "no technical terms");
  await server.restartRedis();
  await ann.page.locator("#banner").waitFor({ state: "hidden", timeout: 60_000 });
  await bob.page.locator("#log .msg:not(.pending) .body", { hasText: "written while Redis was down" }).waitFor({ timeout: 60_000 });
  await ann.page.locator("#log .body", { hasText: "written while Redis was down" }).waitFor();
  await say(bob, "back again");
  await ann.page.locator("#log .body", { hasText: "back again" }).waitFor();
  assert.equal(count(await bodies(ann.page), "back again"), 1);
  assert.equal(count(await bodies(ann.page), "written while Redis was down"), 1);
  assert.equal(count(await bodies(bob.page), "written while Redis was down"), 1);
});
