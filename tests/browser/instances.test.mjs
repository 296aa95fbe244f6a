// Two instances of the service on one machine, sharing one SQLite file and one Redis (how
// it scales out): a person on each, befriended across them, chat live both ways, and see
// each other's presence, offline included, whichever instance holds whose stream.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { ChatServer, HOST_WITH_REDIS, openPerson, signUp, befriend, say, uniqueName } from "./harness.mjs";

// Short leases, so "offline" is seen within seconds rather than a minute.
const FAST = { presence_ttl_seconds: "4", heartbeat_seconds: "2" };
let first;
let second;
let ann;
let bob;

before(async () => {
  first = await ChatServer.start(HOST_WITH_REDIS, { settings: FAST });
  second = await ChatServer.start(HOST_WITH_REDIS, { settings: FAST, share: first });
  ann = await signUp(await openPerson(first), uniqueName("ann"), { displayName: "Ann" });
  bob = await signUp(await openPerson(second), uniqueName("bob"), { displayName: "Bob" });
});

after(async () => {
  assert.deepEqual([...(ann?.errors ?? []), ...(bob?.errors ?? [])], [], "no script errors on the page");
  await ann?.close();
  await bob?.close();
  await second?.stop();
  await first?.stop();
});

test("a message sent through one instance reaches a stream on the other", async () => {
  await befriend(ann, bob);
  const bobSeenByAnn = ann.page.locator(`.contact[data-username="${bob.username}"]`);
  await ann.page.waitForSelector(`#group-online + ul .contact[data-username="${bob.username}"]`);
  await bob.page.waitForSelector(`#group-online + ul .contact[data-username="${ann.username}"]`);
  assert.equal(await bobSeenByAnn.getAttribute("data-presence"), "online");

  await ann.page.click(`.contact[data-username="${bob.username}"] .row-main`);
  await say(ann, "from the first instance");
  await bob.page.click(".conversation-list .row-main");
  await bob.page.locator("#log .body", { hasText: "from the first instance" }).waitFor();
  await say(bob, "from the second instance");
  await ann.page.locator("#log .body", { hasText: "from the second instance" }).waitFor();
});

test("presence is consistent across instances, going offline included", async () => {
  await bob.page.selectOption("#presence-select", "away");
  await ann.page.waitForSelector(`.contact[data-username="${bob.username}"][data-presence="away"]`);
  // Bob's tab dies without a goodbye: his lease on the second instance lapses, and Ann's
  // stream on the first reports him offline.
  const gone = bob.username;
  await bob.close();
  bob = null;
  await ann.page.waitForSelector(`#group-offline + ul .contact[data-username="${gone}"]`, { timeout: 30_000 });
});
