// What a person notices besides the features: the connection banner stays away while the
// event stream renews itself, "Seen" follows a reply from any client, runs of messages
// share a header, right-to-left text reads right to left, addresses become links, a long
// unread stretch opens at its start with a line, a button says what arrived while scrolled
// up, empty groups stay hidden, a new browser opens on "Create account", and the page's
// files travel compressed.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { ChatServer, openPerson, signUp, befriend, say, uniqueName, enterRoom } from "./harness.mjs";

let server;
let ann;
let bob;
let direct; // the id of Ann and Bob's conversation

before(async () => {
  // Streams end every 3 s, so the page goes through several renewals in one test.
  server = await ChatServer.start(undefined, { settings: { stream_seconds: "3" } });
  ann = await signUp(await openPerson(server), uniqueName("ann"), { displayName: "Ann" });
  bob = await signUp(await openPerson(server), uniqueName("bob"), { displayName: "Bob" });
  await befriend(ann, bob);
  await ann.page.click(`.contact[data-username="${bob.username}"] .row-main`);
  await ann.page.waitForSelector("#chat-main:not([hidden])");
  direct = await ann.page.evaluate(() => document.querySelector(".conversation-list [aria-current=true]")?.closest("li")?.dataset.id);
  assert.ok(direct, "the direct conversation is listed and open");
});

after(async () => {
  assert.deepEqual([...ann.errors, ...bob.errors], [], "no script errors on the page");
  await ann?.close();
  await bob?.close();
  await server?.stop();
});

/** Sends as `person` from another of their clients (their cookie, not their page). */
async function sendElsewhere(person, conversationId, body) {
  const response = await person.context.request.post(`/api/conversations/${conversationId}/messages`, {
    data: { body, client_id: uniqueName("c") },
  });
  assert.equal(response.status(), 201, await response.text());
  return response.json();
}

test("the banner stays hidden while the event stream renews itself", async () => {
  await ann.page.evaluate(() => {
    window.bannerShown = 0;
    const banner = document.getElementById("banner");
    new MutationObserver(() => {
      if (!banner.hidden) window.bannerShown += 1;
    }).observe(banner, { attributes: true, childList: true });
  });
  // Three renewals at least, and a message still arrives afterwards.
  await new Promise((r) => setTimeout(r, 10_000));
  assert.equal(await ann.page.evaluate(() => window.bannerShown), 0, "no banner on a healthy connection");
  await sendElsewhere(bob, direct, "still here after the renewals");
  await ann.page.locator("#log .body", { hasText: "still here after the renewals" }).waitFor();
});

test("a reply from another client marks my message Seen", async () => {
  await say(ann, "did you get this?");
  await ann.page.locator("#log .msg.mine:not(.pending)", { hasText: "did you get this?" }).waitFor();
  // Bob's page is not on the conversation: he answers from his phone.
  await sendElsewhere(bob, direct, "yes, on my phone");
  await ann.page.locator("#log .body", { hasText: "yes, on my phone" }).waitFor();
  await ann.page.locator("#log .msg.mine", { hasText: "did you get this?" }).locator(".seen").waitFor({ timeout: 5000 });
});

test("a run of messages from one sender shares one header; every time shows its date on hover", async () => {
  await say(ann, "tell me more");
  for (const text of ["one", "two", "three"]) await sendElsewhere(bob, direct, `run ${text}`);
  await ann.page.locator("#log .body", { hasText: "run three" }).waitFor();
  const run = ann.page.locator("#log .msg", { hasText: /run (one|two|three)/ });
  assert.equal(await run.count(), 3);
  assert.equal(await run.locator(".sender").count(), 1, "only the first has the name");
  assert.equal(await ann.page.locator("#log .msg.continued", { hasText: "run" }).count(), 2);
  const title = await run.last().locator("time").getAttribute("title");
  assert.match(title, /\d{4}/, `the full date, with its year: ${title}`);
});

test("right-to-left text reads right to left, and www. and mailto: addresses are links", async () => {
  await sendElsewhere(bob, direct, "שלום, מה שלומך?");
  await sendElsewhere(bob, direct, "see www.example.org or mailto:someone@example.org");
  const hebrew = ann.page.locator("#log .body", { hasText: "שלום" });
  await hebrew.waitFor();
  assert.equal(await hebrew.evaluate((el) => getComputedStyle(el).direction), "rtl");
  const english = ann.page.locator("#log .body", { hasText: "www.example.org" });
  await english.waitFor();
  assert.equal(await english.evaluate((el) => getComputedStyle(el).direction), "ltr");
  assert.equal(await english.locator("a", { hasText: "www.example.org" }).getAttribute("href"), "https://www.example.org/");
  assert.equal(await english.locator("a", { hasText: "mailto:" }).getAttribute("href"), "mailto:someone@example.org");
  assert.equal(await english.locator("a", { hasText: "mailto:" }).getAttribute("target"), null, "mail opens in place");
});

test("a long unread stretch opens at a 'New messages' line; scrolled up, a button counts what arrives", async () => {
  // Ann has read everything so far (her page marks it read as it shows it)...
  for (let unread = -1; unread !== 0; await new Promise((r) => setTimeout(r, 100))) {
    unread = (await (await ann.context.request.get(`/api/conversations/${direct}`)).json()).unread_count;
  }
  // ...and is elsewhere (a room of her own) while Bob writes 80 messages.
  await enterRoom(ann, uniqueName("elsewhere"));
  await ann.page.waitForFunction(() => document.getElementById("chat-title").textContent.startsWith("#"));
  for (let i = 1; i <= 80; i += 1) await sendElsewhere(bob, direct, `backlog ${i}`);
  const row = ann.page.locator(`.conversation-list li[data-id="${direct}"] .row-main`);
  await ann.page.waitForFunction((id) => Number(document.querySelector(`.conversation-list li[data-id="${id}"] .badge`)?.textContent) === 80, direct);
  await row.click();
  // The history loads back to the first unread message (two pages), and the line sits
  // just above it, in view, rather than the log jumping to the bottom.
  const line = ann.page.locator("#unread-line");
  await line.waitFor();
  assert.equal(await line.evaluate((el) => el.nextElementSibling?.querySelector(".body")?.textContent), "backlog 1");
  assert.equal(await line.isVisible(), true);
  const inView = await line.evaluate((el) => {
    const log = document.getElementById("log").getBoundingClientRect();
    const box = el.getBoundingClientRect();
    return box.top >= log.top && box.bottom <= log.bottom;
  });
  assert.ok(inView, "the line is on screen");
  assert.equal(await ann.page.isVisible("#jump-down"), true, "the way down is offered");

  // Still scrolled up, Bob writes again: the button counts it.
  await sendElsewhere(bob, direct, "are you reading?");
  await ann.page.locator("#jump-down", { hasText: "1 new message" }).waitFor();
  await ann.page.click("#jump-down");
  await ann.page.locator("#jump-down").waitFor({ state: "hidden" });
  assert.equal(await ann.page.locator("#log .body", { hasText: "are you reading?" }).isVisible(), true);
});

test("a group with nobody in it is not shown", async () => {
  await ann.page.locator(`#group-online + ul .contact[data-username="${bob.username}"]`).waitFor();
  assert.equal(await ann.page.locator("#group-offline").count(), 0, "no empty Offline heading");
});

test("a browser never used opens on Create account, one used before on Sign in", async () => {
  const fresh = await openPerson(server);
  try {
    await fresh.page.waitForSelector("#signup-form:not([hidden])");
    assert.equal(await fresh.page.getAttribute("#tab-signup", "aria-selected"), "true");
    const tab = await fresh.page.locator("#tab-signup").boundingBox();
    const text = await fresh.page.locator("#tab-login").boundingBox();
    assert.ok(tab.height <= text.height + 1 && tab.height < 48, `the tab is one line (${tab.height}px)`);
    await signUp(fresh, uniqueName("new"));
    await fresh.page.reload();
    await fresh.page.waitForSelector("#me-name");
    await fresh.context.clearCookies();
    await fresh.page.reload();
    await fresh.page.waitForSelector("#login-form:not([hidden])");
    assert.equal(await fresh.page.getAttribute("#tab-login", "aria-selected"), "true");
    assert.deepEqual(fresh.errors, []);
  } finally {
    await fresh.close();
  }
});

test("the page's files travel compressed to a browser that accepts it", async () => {
  for (const [accept, encoding] of [["br, gzip", "br"], ["gzip", "gzip"], ["identity", null]]) {
    const response = await fetch(`${server.base}/app.js`, { headers: { "accept-encoding": accept } });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("content-encoding"), encoding, accept);
    assert.match(response.headers.get("vary") ?? "", /accept-encoding/i);
    assert.match(await response.text(), /import/, "decodes to the script");
  }
});

test("formatting: bold, italic, code, code blocks and quotes become elements, text stays text", async () => {
  const body = [
    "**bold** and *italic* and _also italic_ but snake_case_name stays",
    "`a <b>code</b> span` and **<img src=x onerror=\"window.__owned=1\">**",
    "see https://example.org/a_b_c and ** not bold **",
    "> a quote with **bold**",
    "```",
    "fn main() { *not* _emphasis_ https://x.org }",
    "```",
  ].join("\n");
  await sendElsewhere(bob, direct, body);
  const message = ann.page.locator("#log .msg", { hasText: "snake_case_name" });
  await message.waitFor();
  const texts = (selector) => message.locator(selector).allTextContents();
  assert.deepEqual(await texts(".body > .text strong"), ["bold", "<img src=x onerror=\"window.__owned=1\">"]);
  assert.deepEqual(await texts(".body > .text em"), ["italic", "also italic"]);
  assert.deepEqual(await texts(".body > .text code"), ["a <b>code</b> span"]);
  assert.deepEqual(await texts(".body blockquote"), ["a quote with bold"]);
  assert.deepEqual(await texts(".body blockquote strong"), ["bold"]);
  assert.deepEqual(await texts(".body pre code"), ["fn main() { *not* _emphasis_ https://x.org }"]);
  assert.equal(await message.locator(".body pre a, .body pre em").count(), 0, "nothing formatted inside a code block");
  assert.equal(await message.locator(".body a").getAttribute("href"), "https://example.org/a_b_c", "a link keeps its underscores");
  assert.match(await message.locator(".body").textContent(), /snake_case_name stays/);
  assert.match(await message.locator(".body").textContent(), /\*\* not bold \*\*/);
  assert.equal(await message.locator(".body img, .body b").count(), 0, "markup stays text");
  assert.equal(await ann.page.evaluate(() => window.__owned), undefined);
});

test("a reply quotes what it answers; a click on the quote goes there, loading history as needed", async () => {
  // Ann answers the newest message with the page's Reply button.
  const last = ann.page.locator("#log .msg:not(.mine)").last();
  const answered = await last.getAttribute("data-id");
  await last.hover();
  await last.getByRole("button", { name: "Reply to this message" }).click();
  await ann.page.locator("#replying", { hasText: "Replying to Bob" }).waitFor();
  await say(ann, "replying to that");
  const reply = ann.page.locator("#log .msg.mine:not(.pending)", { hasText: "replying to that" });
  await reply.locator(".quote", { hasText: "Bob" }).waitFor();
  assert.equal(await ann.page.isHidden("#replying"), true, "the composer is back to plain sending");
  const stored = await (await ann.context.request.get(`/api/conversations/${direct}/messages?limit=1`)).json();
  assert.equal(stored.messages[0].reply_to.id, answered, "the server stored what it answers");
  await bob.page.locator(`.conversation-list li[data-id="${direct}"] .preview`, { hasText: "replying to that" }).waitFor();

  // Bob answers the very first backlog message, now far above what Ann's page has loaded.
  const history = await (await bob.context.request.get(`/api/conversations/${direct}/messages?limit=100`)).json();
  const first = history.messages.find((m) => m.body === "backlog 1");
  const response = await bob.context.request.post(`/api/conversations/${direct}/messages`, {
    data: { body: "about your first one", client_id: uniqueName("r"), reply_to: first.id },
  });
  assert.equal(response.status(), 201);
  await ann.page.reload();
  await ann.page.click(`.conversation-list li[data-id="${direct}"] .row-main`);
  const quote = ann.page.locator("#log .msg", { hasText: "about your first one" }).locator(".quote");
  await quote.waitFor();
  assert.match(await quote.textContent(), /Bob.*backlog 1/);
  assert.equal(await ann.page.locator(`#log [data-seq="${first.seq}"]`).count(), 0, "not loaded yet");
  await quote.click();
  const target = ann.page.locator(`#log [data-seq="${first.seq}"]`);
  await target.waitFor();
  assert.match(await target.getAttribute("class"), /flash/);
  const inView = await target.evaluate((el) => {
    const log = document.getElementById("log").getBoundingClientRect();
    const box = el.getBoundingClientRect();
    return box.top >= log.top && box.bottom <= log.bottom;
  });
  assert.ok(inView, "the answered message is on screen");

  // Deleting the answered message turns the quote into "deleted" live.
  const deleted = await bob.context.request.delete(`/api/conversations/${direct}/messages/${first.id}`, {
    headers: { "content-type": "application/json" }, // the CSRF rule for cookie writes
  });
  assert.equal(deleted.status(), 204);
  await quote.locator(".quote-text", { hasText: "This message was deleted." }).waitFor();
});

test("reactions: picked from the vendored emoji list, counted live on both sides, toggled by a click", async () => {
  await bob.page.click(`.conversation-list li[data-id="${direct}"] .row-main`);
  await say(ann, "react to this");
  const onBob = bob.page.locator("#log .msg", { hasText: "react to this" });
  await onBob.waitFor();
  await onBob.hover();
  await onBob.getByRole("button", { name: "React to this message" }).click();
  await bob.page.waitForSelector("#emoji-picker[open] .emoji-grid .emoji");
  assert.ok(await bob.page.locator("#emoji-groups .emoji").count() > 1500, "the whole list, no CDN");
  await bob.page.fill("#emoji-search", "thumbs up");
  await bob.page.press("#emoji-search", "Enter");
  await bob.page.waitForSelector("#emoji-picker", { state: "hidden" });

  const onAnn = ann.page.locator("#log .msg", { hasText: "react to this" });
  const chip = (page, msg) => msg.locator(".reaction", { hasText: "👍" });
  await chip(ann.page, onAnn).locator(".reaction-count", { hasText: "1" }).waitFor();
  assert.equal(await chip(ann.page, onAnn).getAttribute("aria-pressed"), "false");
  assert.match(await chip(ann.page, onAnn).getAttribute("title"), /Bob/);
  await chip(ann.page, onAnn).click();
  await chip(bob.page, onBob).locator(".reaction-count", { hasText: "2" }).waitFor();
  await ann.page.locator("#log .msg", { hasText: "react to this" }).locator('.reaction[aria-pressed="true"]').waitFor();
  await chip(ann.page, onAnn).click();
  await chip(bob.page, onBob).locator(".reaction-count", { hasText: "1" }).waitFor();
  // Bob takes his back: the chip goes.
  await chip(bob.page, onBob).click();
  await onAnn.locator(".reaction").waitFor({ state: "detached" });

  // The same picker puts an emoji into the composer, at the caret.
  await ann.page.fill("#message-input", "good ");
  await ann.page.click("#emoji-button");
  await ann.page.fill("#emoji-search", "red heart");
  await ann.page.press("#emoji-search", "Enter");
  assert.equal(await ann.page.inputValue("#message-input"), "good ❤️");
  await ann.page.fill("#message-input", "");
});

test("a muted chat stays out of the title's count; a hidden chat leaves the list until the next message", async () => {
  const row = ann.page.locator(`.conversation-list li[data-id="${direct}"]`);
  await ann.page.click(`.conversation-list li[data-id="${direct}"] .row-main`);
  await ann.page.click("#mute");
  await row.locator(".muted-mark").waitFor();
  assert.equal(await ann.page.getAttribute("#mute", "aria-pressed"), "true");
  await enterRoom(ann, uniqueName("quiet"));
  await sendElsewhere(bob, direct, "you will not hear this");
  await row.locator(".badge.quiet", { hasText: "1" }).waitFor();
  assert.equal(await ann.page.title(), "Chat", "a muted chat's unread stay out of the title");

  await row.locator(".row-main").click();
  await ann.page.click("#mute"); // unmute
  await row.locator(".muted-mark").waitFor({ state: "detached" });
  await ann.page.click("#hide-chat");
  await row.waitFor({ state: "detached" });
  await ann.page.waitForSelector("#chat-empty:not([hidden])");
  await ann.page.reload();
  await ann.page.waitForSelector("#me-name");
  assert.equal(await row.count(), 0, "still hidden after a reload");
  await sendElsewhere(bob, direct, "are you hiding from me?");
  // Back, with its unread (the muted one was never looked at either).
  await row.locator(".preview", { hasText: "are you hiding from me?" }).waitFor();
  await row.locator(".badge").waitFor();
});
