// Keeping a room in the browser: the owner's badge in the roster, a member's report that
// reaches the owner, who deletes the message from the reports list; appointing a moderator
// and banning a member from the roster's Manage dialog (the banned member is told and the
// room leaves their list; the ban is listed and lifted); a private room's new invite link.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { ChatServer, openPerson, signUp, say, uniqueName, enterRoom } from "./harness.mjs";

// A cookie session writes with a JSON content type (the CSRF rule), even without a body.
const JSON_TYPE = { "content-type": "application/json" };

let server;
let ann;
let bob;
let cat;

before(async () => {
  server = await ChatServer.start();
  ann = await signUp(await openPerson(server), uniqueName("ann"), { displayName: "Ann" });
  bob = await signUp(await openPerson(server), uniqueName("bob"), { displayName: "Bob" });
  cat = await signUp(await openPerson(server), uniqueName("cat"), { displayName: "Cat" });
});

after(async () => {
  assert.deepEqual([ann, bob, cat].flatMap((p) => p.errors), [], "no script errors on the page");
  for (const p of [ann, bob, cat]) await p?.close();
  await server?.stop();
});

/** Opens the roster of the open room (once). */
async function showRoster(person) {
  if (await person.page.locator("#roster").isHidden()) await person.page.click("#roster-toggle");
}

/** Opens the Manage dialog for `name` in the roster. */
async function manage(person, name) {
  await showRoster(person);
  await person.page.getByRole("button", { name: `Manage ${name}` }).click();
  await person.page.locator("#member-dialog[open]").waitFor();
}

test("a report reaches the owner, who deletes the message; a moderator is appointed and a member banned", async () => {
  const room = uniqueName("lobby");
  await enterRoom(ann, room);
  await enterRoom(bob, room);
  await enterRoom(cat, room);
  await showRoster(ann);
  await ann.page.locator("#roster-list li", { hasText: "Ann" }).locator(".role-badge", { hasText: "Owner" }).waitFor();
  assert.equal(await cat.page.getByRole("button", { name: /^Manage / }).count(), 0, "members manage nobody");

  await say(bob, "buy cheap watches at spam.example");
  const spam = cat.page.locator("#log .msg", { hasText: "cheap watches" });
  await spam.hover();
  await spam.getByRole("button", { name: "Report this message to the room's moderators" }).click();
  await cat.page.locator("#report-dialog[open]").waitFor();
  await cat.page.click("#report-form button[type=submit]");
  await cat.page.locator("#report-reason-error", { hasText: "Say what is wrong" }).waitFor();
  await cat.page.fill("#report-reason", "advertising");
  await cat.page.click("#report-form button[type=submit]");
  await cat.page.locator(".toast", { hasText: "Reported to the room's moderators." }).waitFor();

  await ann.page.locator(".toast", { hasText: "Cat reported a message" }).waitFor();
  await ann.page.locator("#reports-button", { hasText: "Reports (1)" }).waitFor();
  await ann.page.click("#reports-button");
  const report = ann.page.locator("#reports-list .report", { hasText: "advertising" });
  await report.locator(".report-quote", { hasText: "cheap watches" }).waitFor();
  await report.getByRole("button", { name: "Delete the message" }).click();
  await ann.page.locator("#reports-status", { hasText: "No open reports." }).waitFor();
  await ann.page.keyboard.press("Escape");
  await cat.page.locator("#log .msg.deleted .tombstone").waitFor();
  await bob.page.locator("#log .msg.deleted .tombstone").waitFor();

  // Bob becomes a moderator: everyone's roster shows it, and he may now manage Cat.
  await manage(ann, "Bob");
  await ann.page.click("#member-moderator");
  await bob.page.locator("#log .notice", { hasText: "You are a moderator now." }).waitFor();
  await showRoster(cat);
  await cat.page.locator("#roster-list li", { hasText: "Bob" }).locator(".role-badge", { hasText: "Moderator" }).waitFor();

  // Bob bans Cat: Cat is told and the room leaves Cat's list; the ban is listed, and lifted.
  await manage(bob, "Cat");
  await bob.page.fill("#ban-reason", "spam reports");
  await bob.page.click("#ban-form button[type=submit]");
  await cat.page.locator(".toast", { hasText: `Bob banned you from #${room}` }).waitFor();
  await cat.page.locator("#conversation-list li", { hasText: room }).waitFor({ state: "detached" });
  await ann.page.locator("#log .notice", { hasText: "Bob banned Cat." }).waitFor();
  await bob.page.click("#roster-toggle"); // closed and opened again, the bans are fresh
  await showRoster(bob);
  await bob.page.getByRole("button", { name: "Lift the ban on Cat" }).click();
  await bob.page.locator(".toast", { hasText: "Cat may join again." }).waitFor();
});

test("a private room's invite link can be replaced, and the old one stops working", async () => {
  const created = await (await ann.context.request.post("/api/rooms", { data: { title: "Secret plans" } })).json();
  await ann.page.reload();
  await ann.page.waitForSelector("#app:not([hidden])");
  await ann.page.locator("#conversation-list li", { hasText: "Secret plans" }).click();
  await ann.page.click("#invite");
  const before = await ann.page.inputValue("#invite-link");
  assert.ok(before.endsWith(`#join=${created.id}`), before);
  await ann.page.click("#new-invite"); // the confirm is accepted by the harness
  await ann.page.waitForFunction((old) => document.getElementById("invite-link").value !== old, before);
  const after = await ann.page.inputValue("#invite-link");
  const code = after.split("#join=")[1];
  assert.match(code, /^[0-9a-f]{64}$/);
  const old = await cat.context.request.post(`/api/rooms/${created.id}/join`, { headers: JSON_TYPE });
  assert.equal(old.status(), 404, "the old link admits nobody");
  const fresh = await cat.context.request.post(`/api/rooms/${code}/join`, { headers: JSON_TYPE });
  assert.equal(fresh.status(), 200);
  await ann.page.locator("#log .notice", { hasText: "Cat joined." }).waitFor();
});
