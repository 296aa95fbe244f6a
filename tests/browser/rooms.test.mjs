// Rooms in the browser: a public room joined by a normalised name, with the roster and
// join and leave notices everyone sees; a private room joined through its invite link.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { ChatServer, openPerson, signUp, say, uniqueName } from "./harness.mjs";

let server;
let people = [];

before(async () => {
  server = await ChatServer.start();
  people = [];
  for (const name of ["ann", "bob", "cat"]) {
    people.push(await signUp(await openPerson(server), uniqueName(name), { displayName: name.toUpperCase() }));
  }
});

after(async () => {
  assert.deepEqual(people.flatMap((p) => p.errors), [], "no script errors on the page");
  for (const p of people) await p.close();
  await server?.stop();
});

async function joinByName(person, typed) {
  await person.page.fill("#join-room-input", typed);
  await person.page.click("#join-room button[type=submit]");
}

test("a third person joins a public room and everyone sees the notice", async () => {
  const [ann, bob, cat] = people;
  const room = uniqueName("lobby");
  // The edge chat demo's normalisation: case, '_' to '-', other characters dropped.
  await joinByName(ann, `  ${room.toUpperCase()}! `);
  await ann.page.locator("#chat-title", { hasText: `#${room}` }).waitFor();
  await joinByName(bob, room);
  await bob.page.locator("#chat-title", { hasText: `#${room}` }).waitFor();
  await ann.page.locator("#log .notice", { hasText: "BOB joined." }).waitFor();
  await say(ann, "welcome to the room");
  await bob.page.locator("#log .body", { hasText: "welcome to the room" }).waitFor();

  await joinByName(cat, room);
  await cat.page.locator("#chat-title", { hasText: `#${room}` }).waitFor();
  await cat.page.locator("#log .body", { hasText: "welcome to the room" }).waitFor();
  for (const p of [ann, bob]) await p.page.locator("#log .notice", { hasText: "CAT joined." }).waitFor();
  await ann.page.locator("#chat-subtitle", { hasText: "3 members" }).waitFor();
  await ann.page.click("#roster-toggle");
  assert.deepEqual(
    (await ann.page.locator("#roster-list .name").allTextContents()).sort(),
    ["ANN (you)", "BOB", "CAT"],
  );

  await say(cat, "hi all");
  for (const p of [ann, bob]) await p.page.locator("#log .body", { hasText: "hi all" }).waitFor();

  await cat.page.click("#leave");
  await cat.page.waitForSelector("#chat-empty:not([hidden])");
  assert.equal(await cat.page.locator(`.conversation-list .row`, { hasText: room }).count(), 0);
  for (const p of [ann, bob]) await p.page.locator("#log .notice", { hasText: "CAT left." }).waitFor();
  await ann.page.locator("#chat-subtitle", { hasText: "2 members" }).waitFor();
});

test("a bad room name is refused at the field", async () => {
  const [ann] = people;
  await joinByName(ann, "!!!");
  await ann.page.locator("#join-room-input-error", { hasText: "Room names use letters" }).waitFor();
  await joinByName(ann, "x".repeat(40));
  await ann.page.locator("#join-room-input-error", { hasText: "at most 32" }).waitFor();
  await ann.page.fill("#join-room-input", "");
});

test("a private room is joined through its invite link", async () => {
  const [ann, bob] = people;
  await ann.page.click("#new-private-room");
  await ann.page.locator("#chat-title", { hasText: "Private room" }).waitFor();
  await ann.page.waitForSelector("#invite-box:not([hidden])");
  const link = await ann.page.inputValue("#invite-link");
  assert.match(link, /\/#join=[0-9a-f]{64}$/);
  await say(ann, "secret plans");

  await bob.page.goto(link);
  await bob.page.locator("#chat-title", { hasText: "Private room" }).waitFor();
  await bob.page.locator("#log .body", { hasText: "secret plans" }).waitFor();
  assert.equal(new URL(bob.page.url()).hash, "", "the invite fragment is consumed");
  await ann.page.locator("#log .notice", { hasText: "BOB joined." }).waitFor();
  await say(bob, "I'm in");
  await ann.page.locator("#log .body", { hasText: "I'm in" }).waitFor();

  // A made-up invite is refused with a clear message.
  await bob.page.goto(`${server.base}/#join=${"0".repeat(64)}`);
  await bob.page.locator(".toast", { hasText: "invite link is not valid" }).waitFor();
});
