// Searching one's messages in the page: results as one types with the words marked,
// filtered to one conversation or one sender, never another person's conversations, and
// a result far back in a long history opens there, in place, flashing.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { ChatServer, openPerson, signUp, befriend, uniqueName } from "./harness.mjs";

let server;
let ann;
let bob;
let direct; // Ann and Bob's conversation

before(async () => {
  server = await ChatServer.start(undefined, { settings: { messages_burst: "500", messages_per_second: "500" } });
  ann = await signUp(await openPerson(server), uniqueName("ann"), { displayName: "Ann" });
  bob = await signUp(await openPerson(server), uniqueName("bob"), { displayName: "Bob" });
  await befriend(ann, bob);
  const response = await ann.context.request.post("/api/conversations/direct", { data: { username: bob.username } });
  direct = (await response.json()).id;
});

after(async () => {
  assert.deepEqual([...ann.errors, ...bob.errors], [], "no script errors on the page");
  await ann?.close();
  await bob?.close();
  await server?.stop();
});

/** Sends `body` as `person` through the API (their cookie). */
async function send(person, conversationId, body) {
  const response = await person.context.request.post(`/api/conversations/${conversationId}/messages`, {
    data: { body, client_id: uniqueName("c") },
  });
  assert.equal(response.status(), 201, await response.text());
}

/** The dialog's results: each one's marked words and its whole text. */
async function results(page) {
  return page.locator("#search-results .search-result").evaluateAll((rows) =>
    rows.map((row) => ({
      marked: [...row.querySelectorAll("mark")].map((m) => m.textContent),
      text: row.querySelector(".search-snippet").textContent,
    })));
}

test("results come while typing, marked, newest first, and only from my conversations", async () => {
  const bobAlone = (await (await bob.context.request.post("/api/rooms", { data: { title: "Bob's notes" } })).json()).id;
  await send(bob, bobAlone, "the hidden treasure map is mine alone");
  await send(ann, direct, "Where is the treasure?");
  await send(bob, direct, "The treasure is under the old <b>oak</b>");

  // The account loads slowly: the shortcut works from the moment the app shows.
  const slowMe = async (route) => {
    await new Promise((resolve) => setTimeout(resolve, 800));
    await route.continue();
  };
  await ann.page.route("**/api/me", slowMe);
  await ann.page.reload();
  await ann.page.waitForSelector("#app:not([hidden])");
  await ann.page.keyboard.press("Control+k");
  await ann.page.locator("#search-dialog[open]").waitFor({ timeout: 5000 });
  await ann.page.unrouteAll({ behavior: "wait" }); // lets the held request through first
  await ann.page.keyboard.type("treas");
  await ann.page.locator("#search-results .search-result").nth(1).waitFor();
  const found = await results(ann.page);
  assert.deepEqual(found.map((r) => r.text), ["The treasure is under the old <b>oak</b>", "Where is the treasure?"]);
  assert.deepEqual(found[0].marked, ["treasure"], "the match is marked, markup stays text");
  assert.equal(await ann.page.locator("#search-results b").count(), 0);

  // From one sender only.
  await ann.page.fill("#search-from", bob.username);
  await ann.page.waitForFunction(() => document.querySelectorAll("#search-results .search-result").length === 1);
  assert.match((await results(ann.page))[0].text, /under the old/);

  // Nothing matches: said in words.
  await ann.page.fill("#search-from", "");
  await ann.page.fill("#search-input", "zebra");
  await ann.page.locator("#search-results .empty", { hasText: "zebra" }).waitFor();
  await ann.page.keyboard.press("Escape");
});

test("a result far back in the history opens in place", async () => {
  await send(ann, direct, "the needle in the haystack");
  for (let i = 0; i < 120; i += 1) await send(bob, direct, `hay bale ${i}`);

  await ann.page.reload();
  await ann.page.waitForSelector("#app:not([hidden])");
  await ann.page.click("#search-messages");
  await ann.page.fill("#search-input", "needle");
  await ann.page.locator("#search-results .search-result").first().waitFor();
  await ann.page.click("#search-results .search-open");
  const target = ann.page.locator("#log .msg", { hasText: "the needle in the haystack" });
  await target.waitFor();
  await ann.page.waitForFunction(() => {
    const node = [...document.querySelectorAll("#log .msg")].find((m) => m.textContent.includes("needle in the haystack"));
    const log = document.getElementById("log").getBoundingClientRect();
    const box = node?.getBoundingClientRect();
    return box && box.top >= log.top && box.bottom <= log.bottom;
  });
  assert.ok(await target.evaluate((node) => node.classList.contains("flash")), "it flashes so the eye finds it");

  // "Search here" looks in the open conversation only.
  // (On a phone the conversation's actions sit behind a menu; here they are in view.)
  if (await ann.page.locator("#chat-menu").isVisible()) await ann.page.click("#chat-menu");
  await ann.page.click("#search-here");
  assert.equal(await ann.page.inputValue("#search-in"), direct);
});
