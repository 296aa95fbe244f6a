// Rooms in the browser: a public room created only when asked to and joined by name, with
// the roster and join and leave notices everyone sees; the directory of public rooms; a
// private room with a name and a topic everyone sees change live, joined through its
// invite link (which never creates a room).

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { ChatServer, openPerson, signUp, say, uniqueName, enterRoom } from "./harness.mjs";

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
  // A name nobody took is offered, not created behind the person's back.
  await joinByName(ann, `  #${room.toUpperCase()} `);
  await ann.page.locator("#join-confirm", { hasText: `There is no #${room} yet.` }).waitFor();
  const offered = await ann.page.evaluate(async (name) => (await fetch(`/api/rooms?q=${name}`)).json(), room);
  assert.deepEqual(offered.rooms, [], "nothing created before the answer");
  await ann.page.click("#create-room-confirm");
  await ann.page.locator("#chat-title", { hasText: `#${room}` }).waitFor();
  await ann.page.waitForSelector("#join-confirm", { state: "hidden" });
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
  // Both have read Ann's message: "Seen by 2" under it, their names on hover.
  const seen = ann.page.locator("#log .msg.mine", { hasText: "welcome to the room" }).locator(".seen", { hasText: "Seen by 2" });
  await seen.waitFor();
  assert.deepEqual((await seen.getAttribute("title")).split(", ").sort(), ["BOB", "CAT"]);

  // Ann mentions Bob, completing his name; Bob is elsewhere: his list counts it apart.
  await enterRoom(bob, uniqueName("away"));
  await ann.page.fill("#message-input", "thanks ");
  await ann.page.type("#message-input", "@BO");
  const option = ann.page.locator("#mention-list [role=option]", { hasText: `@${bob.username}` });
  await option.waitFor();
  assert.equal(await ann.page.locator("#mention-list [role=option]").count(), 1, "only who matches");
  await ann.page.press("#message-input", "Enter");
  assert.equal(await ann.page.inputValue("#message-input"), `thanks @${bob.username} `, "Enter completed, not sent");
  await ann.page.type("#message-input", "for coming");
  await ann.page.press("#message-input", "Enter");
  const row = bob.page.locator(".conversation-list .row", { hasText: `#${room}` });
  await row.locator(".mention-badge", { hasText: "@1" }).waitFor();
  await row.click();
  const mention = bob.page.locator("#log .body", { hasText: "for coming" }).locator(".mention.me");
  await mention.waitFor();
  assert.equal(await mention.textContent(), `@${bob.username}`);
  await row.locator(".mention-badge").waitFor({ state: "detached" });
  assert.equal(await ann.page.locator("#log .body", { hasText: "for coming" }).locator(".mention:not(.me)").count(), 1);

  await cat.page.click("#leave");
  await cat.page.waitForSelector("#chat-empty:not([hidden])");
  assert.equal(await cat.page.locator(`.conversation-list .row`, { hasText: room }).count(), 0);
  for (const p of [ann, bob]) await p.page.locator("#log .notice", { hasText: "CAT left." }).waitFor();
  await ann.page.locator("#chat-subtitle", { hasText: "2 members" }).waitFor();
});

test("a bad room name is refused at the field, never changed into another", async () => {
  const [ann] = people;
  await joinByName(ann, "a b c ###");
  await ann.page.locator("#join-room-input-error", { hasText: "only letters a-z, digits and '-'" }).waitFor();
  assert.equal(await ann.page.isHidden("#join-confirm"), true, "no offer to create '#abc'");
  await joinByName(ann, "x".repeat(40));
  await ann.page.locator("#join-room-input-error", { hasText: "at most 32" }).waitFor();
  // A typo offered for creation can be turned down: nothing is left behind.
  const typo = uniqueName("typo");
  await joinByName(ann, typo);
  await ann.page.click("#create-room-cancel");
  await ann.page.waitForSelector("#join-confirm", { state: "hidden" });
  const found = await ann.page.evaluate(async (name) => (await fetch(`/api/rooms?q=${name}`)).json(), typo);
  assert.deepEqual(found.rooms, []);
  await ann.page.fill("#join-room-input", "");
});

test("the directory lists public rooms with their topics, searchable, and joins from there", async () => {
  const [ann, bob] = people;
  const tag = uniqueName("dir");
  for (const suffix of ["books", "films"]) {
    const created = await ann.page.evaluate(async (name) => (await fetch("/api/rooms", {
      method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ name, topic: `all about ${name}` }),
    })).status, `${tag}-${suffix}`);
    assert.equal(created, 201);
  }
  await bob.page.click("#browse-rooms");
  await bob.page.fill("#rooms-search", `${tag}-fi`);
  const films = bob.page.locator(`#rooms-list [data-name="${tag}-films"]`);
  // The search narrows the list to the one room.
  await bob.page.waitForFunction(() => document.querySelectorAll("#rooms-list .directory-room").length === 1);
  await films.waitFor();
  assert.match(await films.textContent(), /1 member · all about/);
  await bob.page.fill("#rooms-search", `ABOUT ${tag}-BOOKS`);
  await bob.page.locator(`#rooms-list [data-name="${tag}-books"]`).waitFor();
  await bob.page.fill("#rooms-search", `${tag}-films`);
  await films.getByRole("button", { name: `Join #${tag}-films` }).click();
  await bob.page.locator("#chat-title", { hasText: `#${tag}-films` }).waitFor();
  await bob.page.locator("#chat-subtitle", { hasText: `2 members · all about ${tag}-films` }).waitFor();
  await ann.page.locator(".conversation-list .row", { hasText: `#${tag}-films` }).waitFor();
});

test("a private room has a name and a topic, changed live for everyone, and is joined through its invite link", async () => {
  const [ann, bob] = people;
  await ann.page.click("#new-private-room");
  await ann.page.fill("#room-title", "Book club");
  await ann.page.fill("#room-topic", "one chapter a week");
  await ann.page.click("#room-save");
  await ann.page.locator("#chat-title", { hasText: "Book club" }).waitFor();
  await ann.page.locator("#chat-subtitle", { hasText: "one chapter a week" }).waitFor();
  await ann.page.waitForSelector("#invite-box:not([hidden])");
  const link = await ann.page.inputValue("#invite-link");
  assert.match(link, /\/#join=[0-9a-f]{64}$/);
  await say(ann, "secret plans");

  // A link does nothing by itself: it asks first.
  await bob.page.goto(link);
  await bob.page.waitForSelector("#invite-dialog[open]");
  await bob.page.click("#invite-decline");
  assert.equal(await bob.page.locator(".conversation-list .row", { hasText: "Book club" }).count(), 0);
  await bob.page.goto(`${server.base}/`);
  await bob.page.goto(link);
  await bob.page.click("#invite-accept");
  await bob.page.locator("#chat-title", { hasText: "Book club" }).waitFor();
  await bob.page.locator("#log .body", { hasText: "secret plans" }).waitFor();
  assert.equal(new URL(bob.page.url()).hash, "", "the invite fragment is consumed");
  await ann.page.locator("#log .notice", { hasText: "BOB joined." }).waitFor();
  await say(bob, "I'm in");
  await ann.page.locator("#log .body", { hasText: "I'm in" }).waitFor();

  // Bob renames it; Ann sees the new name and a notice at once, and so does her list.
  await bob.page.click("#room-details");
  await bob.page.fill("#room-title", "Readers");
  await bob.page.click("#room-save");
  await ann.page.locator("#chat-title", { hasText: "Readers" }).waitFor();
  await ann.page.locator("#log .notice", { hasText: "BOB named the room “Readers”." }).waitFor();
  await ann.page.locator(".conversation-list .row", { hasText: "Readers" }).waitFor();
  // A topic with a hidden bidi override is refused at the field.
  await bob.page.click("#room-details");
  await bob.page.fill("#room-topic", "sneaky\u202Etxt");
  await bob.page.click("#room-save");
  await bob.page.locator("#room-topic-error", { hasText: "one line of visible text" }).waitFor();
  await bob.page.click("#room-cancel");

  // A made-up invite is refused with a clear message.
  await bob.page.goto(`${server.base}/#join=${"0".repeat(64)}`);
  await bob.page.click("#invite-accept");
  await bob.page.locator(".toast", { hasText: "invite link is not valid" }).waitFor();
});
