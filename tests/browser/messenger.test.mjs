// Two people in two browser contexts: sign up, befriend through the search suggestions,
// see each other come online, chat live both ways with typing and "Seen", edit and delete,
// an unread badge on a background conversation, a nudge, and hostile text shown as text.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { ChatServer, openPerson, signUp, say, bodies, uniqueName, enterRoom } from "./harness.mjs";

let server;
let ann;
let bob;

before(async () => {
  server = await ChatServer.start();
  ann = await signUp(await openPerson(server), uniqueName("ann"), { displayName: "Ann" });
  bob = await signUp(await openPerson(server), uniqueName("bob"), { displayName: "Bob" });
});

after(async () => {
  assert.deepEqual([...ann.errors, ...bob.errors], [], "no script errors on the page");
  await ann?.close();
  await bob?.close();
  await server?.stop();
});

test("friends are found by search, accepted, and seen online", async () => {
  await ann.page.fill("#add-friend-input", bob.username.slice(0, 4));
  const suggestion = ann.page.locator(`#suggestions button[data-username="${bob.username}"]`);
  await suggestion.waitFor();
  await suggestion.click();
  await ann.page.waitForSelector(`#request-list [data-username="${bob.username}"]`);
  const incoming = bob.page.locator(`#request-list [data-username="${ann.username}"]`);
  await incoming.waitFor();
  await incoming.locator("button.primary").click();
  const bobInAnnsList = ann.page.locator(`.contact[data-username="${bob.username}"]`);
  await bobInAnnsList.waitFor();
  await ann.page.waitForSelector(`#group-online + ul .contact[data-username="${bob.username}"]`);
  assert.equal(await bobInAnnsList.getAttribute("data-presence"), "online");
  assert.equal(await ann.page.locator("#requests").isHidden(), true, "no request left");

  // Presence and status messages update live.
  await bob.page.selectOption("#presence-select", "busy");
  await ann.page.waitForSelector(`.contact[data-username="${bob.username}"][data-presence="busy"]`);
  await bob.page.fill("#status-input", "writing tests");
  await bob.page.press("#status-input", "Enter");
  await ann.page.locator(`.contact[data-username="${bob.username}"] .status`, { hasText: "writing tests" }).waitFor();
  await bob.page.selectOption("#presence-select", "invisible");
  await ann.page.waitForSelector(`#group-offline + ul .contact[data-username="${bob.username}"]`);
  await bob.page.selectOption("#presence-select", "online");
  await ann.page.waitForSelector(`#group-online + ul .contact[data-username="${bob.username}"]`);
});

test("a conversation runs live both ways with typing and read receipts", async () => {
  await ann.page.click(`.contact[data-username="${bob.username}"] .row-main`);
  await ann.page.waitForSelector("#chat-main:not([hidden])");
  assert.equal(await ann.page.textContent("#chat-title"), "Bob");

  // Typing shows on the other side, and clears on send.
  await ann.page.type("#message-input", "Hello Bob");
  await bob.page.locator(".conversation-list .preview", { hasText: "Ann is typing…" }).waitFor();
  await ann.page.press("#message-input", "Enter");
  await bob.page.locator(".conversation-list .preview", { hasText: "Ann: Hello Bob" }).waitFor();

  await bob.page.click(".conversation-list .row-main");
  await bob.page.locator("#log .msg .body", { hasText: "Hello Bob" }).waitFor();
  // Bob's focused tab shows the message, so Ann sees it was read.
  await ann.page.locator("#log .msg.mine .seen").waitFor();

  await bob.page.type("#message-input", "Hi Ann");
  await ann.page.locator("#typing", { hasText: "Bob is typing…" }).waitFor();
  await bob.page.press("#message-input", "Enter");
  await ann.page.locator("#log .msg:not(.mine) .body", { hasText: "Hi Ann" }).waitFor();
  await ann.page.waitForFunction(() => document.getElementById("typing").textContent === "");
  await bob.page.locator("#log .msg.mine", { hasText: "Hi Ann" }).locator(".seen").waitFor();
  assert.equal(await bob.page.locator("#log .seen").count(), 1, "one Seen, under the newest seen message");

  // Shift+Enter breaks a line instead of sending.
  await bob.page.fill("#message-input", "line one");
  await bob.page.press("#message-input", "Shift+Enter");
  await bob.page.type("#message-input", "line two");
  await bob.page.press("#message-input", "Enter");
  await ann.page.locator("#log .msg .body", { hasText: "line two" }).waitFor();
  assert.ok((await bodies(ann.page)).includes("line one\nline two"));
  assert.deepEqual(await bodies(bob.page), await bodies(ann.page), "both see the same history");
});

test("own messages can be edited and deleted, and both sides see it", async () => {
  await say(ann, "a typo mesage");
  await bob.page.locator("#log .body", { hasText: "a typo mesage" }).waitFor();
  const mine = ann.page.locator("#log .msg.mine", { hasText: "a typo mesage" });
  await mine.hover();
  await mine.getByRole("button", { name: "Edit message" }).click();
  await ann.page.fill("#message-input", "a typo message");
  await ann.page.press("#message-input", "Enter");
  const edited = bob.page.locator("#log .msg", { hasText: "a typo message" });
  await edited.locator(".edited").waitFor();

  const gone = ann.page.locator("#log .msg.mine", { hasText: "a typo message" });
  await gone.hover();
  await gone.getByRole("button", { name: "Delete message" }).click();
  await bob.page.locator("#log .msg.deleted .tombstone").waitFor();
  await ann.page.locator("#log .msg.deleted .tombstone").waitFor();
  assert.equal(await bob.page.locator("#log .body", { hasText: "a typo message" }).count(), 0);
});

test("a message in a background conversation raises its unread badge and the title", async () => {
  // Ann opens a room, so the direct conversation is in the background for her.
  await enterRoom(ann, uniqueName("side"));
  await ann.page.waitForFunction(() => document.getElementById("chat-title").textContent.startsWith("#"));
  await say(bob, "are you there?");
  const badge = ann.page.locator(`.conversation-list [data-kind="direct"] .badge`);
  await badge.waitFor();
  assert.equal(await badge.textContent(), "1");
  await ann.page.waitForFunction(() => document.title === "(1) Chat");
  await ann.page.click(`.conversation-list [data-kind="direct"] .row-main`);
  await badge.waitFor({ state: "detached" });
  await ann.page.waitForFunction(() => document.title === "Chat");
});

test("a nudge shakes the other side's window", async () => {
  await ann.page.click("#nudge");
  await bob.page.locator("#log .notice", { hasText: "Ann sent a nudge." }).waitFor();
  await bob.page.locator(".toast", { hasText: "sent you a nudge" }).waitFor();
  await ann.page.locator("#log .notice", { hasText: "You sent a nudge." }).waitFor();
});

test("hostile text in a message and a display name shows as text, links only for http(s)", async () => {
  const payload = `<img src=x onerror="window.__owned=1"><script>window.__owned=2</script>`;
  await bob.page.click("#me button[aria-label=Settings]");
  const hostileName = `<img src=x onerror="window.__owned=3">`;
  await bob.page.fill("#profile-display", hostileName);
  await bob.page.click("#profile-form [type=submit]");
  await bob.page.locator("#profile-status", { hasText: "Saved." }).waitFor();
  await bob.page.keyboard.press("Escape");
  await say(bob, `${payload} javascript:alert(1) see https://example.com/a?b=1.`);
  const received = ann.page.locator("#log .msg:not(.mine)", { hasText: "javascript:alert(1)" });
  await received.waitFor();
  assert.equal(await received.locator(".body img, .body script").count(), 0, "no element from the text");
  assert.ok((await received.locator(".body").textContent()).startsWith(payload));
  await ann.page.locator("#chat-title", { hasText: hostileName }).waitFor();
  assert.equal(await ann.page.locator("#chat-title img, .contact img, #log .sender img").count(), 0);
  assert.equal(await received.locator(".sender").textContent(), hostileName);
  const links = received.locator(".body a");
  assert.equal(await links.count(), 1, "only the https URL is a link");
  assert.equal(await links.getAttribute("href"), "https://example.com/a?b=1");
  assert.equal(await links.getAttribute("rel"), "noopener noreferrer");
  assert.equal(await links.getAttribute("target"), "_blank");
  assert.equal(await ann.page.evaluate(() => window.__owned), undefined, "nothing ran");
});

test("the length counter appears near the limit and blocks an over-long message", async () => {
  await ann.page.fill("#message-input", "x".repeat(3600));
  assert.equal(await ann.page.textContent("#counter"), "3,600 / 4,000");
  await ann.page.fill("#message-input", "x".repeat(4001));
  assert.equal(await ann.page.isDisabled("#send"), true);
  await ann.page.fill("#message-input", "");
});

test("a message while the tab is hidden raises a desktop notification, once enabled", async () => {
  // The browser's Notification is replaced by a recorder, and the tab made to look hidden:
  // headless Chromium shows no notifications and never hides a page by itself.
  await ann.page.evaluate(() => {
    window.__notified = [];
    window.Notification = class {
      static permission = "granted";
      constructor(title, options) {
        window.__notified.push({ title, body: options.body });
      }
    };
    Object.defineProperty(document, "hidden", { configurable: true, get: () => true });
  });
  await say(bob, "knock knock");
  await ann.page.waitForFunction(() => window.__notified.length === 1);
  const [note] = await ann.page.evaluate(() => window.__notified);
  assert.equal(note.body, "knock knock");
  assert.match(note.title, /Bob|<img/);
  await ann.page.evaluate(() => {
    delete document.hidden; // the own property goes; the real getter is back
  });
  await say(bob, "are you back?");
  await ann.page.locator("#log .body", { hasText: "are you back?" }).waitFor();
  assert.equal(await ann.page.evaluate(() => window.__notified.length), 1, "nothing while visible");
});

test("opt-in attention: a friend signing in pops up and chimes, messages chime; offline friends say when they were last seen", async () => {
  // Off by default: nothing chimes yet.
  assert.equal(await ann.page.evaluate(() => document.documentElement.dataset.lastSound), undefined);
  await ann.page.click("#me button[aria-label=Settings]");
  assert.equal(await ann.page.isChecked("#pref-sounds"), false);
  await ann.page.check("#pref-sounds");
  await ann.page.check("#pref-signins");
  await ann.page.keyboard.press("Escape");

  const bobRow = ann.page.locator(`.contact[data-username="${bob.username}"]`);
  await bob.page.selectOption("#presence-select", "invisible");
  await bobRow.locator(".status", { hasText: /Last seen (just now|\d+ seconds? ago|now)/ }).waitFor();
  assert.match(await bobRow.locator(".status").getAttribute("title"), /Last seen .*\d{4}/);
  await bob.page.selectOption("#presence-select", "online");
  // (Bob's display name is the hostile one of the test above: it shows as text.)
  await ann.page.locator(".toast", { hasText: "has signed in." }).waitFor();
  assert.equal(await ann.page.evaluate(() => document.documentElement.dataset.lastSound), "signIn");

  await bob.page.click(".conversation-list .row-main");
  await say(bob, "ding?");
  await ann.page.waitForFunction(() => document.documentElement.dataset.lastSound === "message");
  // Choices last across a reload.
  await ann.page.reload();
  await ann.page.waitForSelector("#me-name");
  await ann.page.click("#me button[aria-label=Settings]");
  assert.equal(await ann.page.isChecked("#pref-signins"), true);
  await ann.page.keyboard.press("Escape");
});
