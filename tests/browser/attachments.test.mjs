// Files in the page: a picture picked with the button shows inline at its own proportions
// before it loads and opens full size; a pasted file and a dropped file arrive as cards
// with name and size; a failed upload is tried again and its message still arrives once;
// the conversation list names what was sent.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { ChatServer, openPerson, signUp, befriend, png, uniqueName } from "./harness.mjs";

const PNG = png(600, 400);

let server;
let ann;
let bob;

before(async () => {
  server = await ChatServer.start();
  ann = await signUp(await openPerson(server), uniqueName("ann"), { displayName: "Ann" });
  bob = await signUp(await openPerson(server), uniqueName("bob"), { displayName: "Bob" });
  await befriend(ann, bob);
  for (const [me, other] of [[ann, bob], [bob, ann]]) {
    await me.page.click(`.contact[data-username="${other.username}"] .row-main`);
    await me.page.waitForSelector("#chat-main:not([hidden])");
  }
});

after(async () => {
  assert.deepEqual([...ann.errors, ...bob.errors], [], "no script errors on the page");
  await ann?.close();
  await bob?.close();
  await server?.stop();
});

test("a picture shows inline at its proportions before it loads, and opens full size", async () => {
  await ann.page.setInputFiles("#file-input", { name: "red.png", mimeType: "image/png", buffer: PNG });
  await ann.page.locator("#staged .staged-file.done").waitFor();
  await ann.page.fill("#message-input", "look at this");
  await ann.page.press("#message-input", "Enter");
  assert.equal(await ann.page.locator("#staged").isHidden(), true, "the composer is empty again");

  const image = bob.page.locator("#log .msg", { hasText: "look at this" }).locator(".att-image img");
  await image.waitFor();
  // The size is in the markup, so the log keeps its place while the picture loads.
  assert.deepEqual([await image.getAttribute("width"), await image.getAttribute("height")], ["280", "187"]);
  await bob.page.waitForFunction(() => document.querySelector("#log .att-image img")?.naturalWidth === 600);
  await bob.page.locator("#log .att-image").click();
  await bob.page.locator("#image-viewer[open] #image-viewer-title", { hasText: "red.png" }).waitFor();
  assert.equal(await bob.page.getAttribute("#image-viewer-download", "download"), "red.png");
  await bob.page.keyboard.press("Escape");
  await bob.page.locator(".conversation-list .row", { hasText: "📷 look at this" }).waitFor();
});

test("a pasted file and a dropped file arrive as cards with name and size", async () => {
  await ann.page.evaluate(() => {
    const data = new DataTransfer();
    data.items.add(new File(["minutes of the meeting\n"], "minutes.txt", { type: "text/plain" }));
    document.getElementById("message-input").dispatchEvent(new ClipboardEvent("paste", { clipboardData: data, bubbles: true, cancelable: true }));
  });
  await ann.page.evaluate(() => {
    const data = new DataTransfer();
    data.items.add(new File([new Uint8Array(3000)], "blob.dat"));
    const pane = document.getElementById("chat-main");
    for (const type of ["dragenter", "dragover", "drop"]) pane.dispatchEvent(new DragEvent(type, { dataTransfer: data, bubbles: true, cancelable: true }));
  });
  await ann.page.waitForFunction(() => document.querySelectorAll("#staged .staged-file.done").length === 2);
  await ann.page.click("#send");
  const cards = bob.page.locator("#log .att-file");
  await cards.nth(1).waitFor();
  const texts = await cards.allTextContents();
  assert.ok(texts.some((t) => t.includes("minutes.txt") && t.includes("23 B") && t.includes("Text")), texts.join(" | "));
  assert.ok(texts.some((t) => t.includes("blob.dat") && t.includes("2.9 KB")), texts.join(" | "));
  assert.equal(await cards.first().getAttribute("download"), "minutes.txt");
  await bob.page.locator(".conversation-list .row", { hasText: "📎 2 files" }).waitFor();
});

test("a failed upload can be tried again, and its message arrives once", async () => {
  let refused = 0;
  await ann.page.route("**/attachments?*", (route) => {
    refused += 1;
    return route.fulfill({ status: 503, contentType: "application/json", body: JSON.stringify({ error: { code: "unavailable", message: "down" } }) });
  });
  await ann.page.setInputFiles("#file-input", { name: "second.png", mimeType: "image/png", buffer: PNG });
  await ann.page.locator("#staged .staged-file.failed").waitFor();
  await ann.page.fill("#message-input", "second try");
  await ann.page.press("#message-input", "Enter");
  await ann.page.locator("#composer-error", { hasText: "did not upload" }).waitFor();
  assert.equal(refused, 1);
  await ann.page.unroute("**/attachments?*");
  await ann.page.click("#staged button:has-text('Try again')");
  await ann.page.locator("#staged .staged-file.done").waitFor();
  await ann.page.click("#send");
  await bob.page.locator("#log .msg", { hasText: "second try" }).locator(".att-image img").waitFor();
  await new Promise((r) => setTimeout(r, 500));
  assert.equal(await bob.page.locator("#log .msg", { hasText: "second try" }).count(), 1);
});

test("a profile picture is framed to a square, saved, and seen live by a friend", async () => {
  await ann.page.click("[aria-label='Settings']");
  await ann.page.locator("#settings[open]").waitFor();
  await ann.page.setInputFiles("#avatar-input", { name: "me.png", mimeType: "image/png", buffer: PNG });
  await ann.page.locator("#avatar-editor:not([hidden]) #avatar-frame img").waitFor();
  await ann.page.fill("#avatar-zoom", "1.5");
  await ann.page.click("#avatar-save");
  await ann.page.locator("#avatar-current .avatar-picture").waitFor();
  const saved = await ann.page.evaluate(() => document.querySelector("#avatar-current .avatar-picture").src);
  assert.match(saved, /\/api\/users\/[^/]+\/avatar\/avatar-[0-9a-f]+$/);
  // The server keeps a square: what the frame showed, not the whole 3:2 picture.
  const size = await ann.page.evaluate(async (url) => {
    const image = new Image();
    image.src = url;
    await image.decode();
    return [image.naturalWidth, image.naturalHeight];
  }, saved);
  assert.deepEqual(size, [512, 512]);
  await ann.page.keyboard.press("Escape");

  // Bob sees it without reloading: in his contacts, and beside Ann's messages.
  await bob.page.locator(`.contact[data-username="${ann.username}"] .avatar-picture`).waitFor();
  await bob.page.locator("#log .msg:not(.mine) .msg-head .avatar-picture").first().waitFor();

  // Removed: the initial letter is back.
  await ann.page.click("[aria-label='Settings']");
  await ann.page.click("#avatar-remove");
  await ann.page.locator("#avatar-current .avatar-picture").waitFor({ state: "detached" });
  await ann.page.keyboard.press("Escape");
  await bob.page.locator(`.contact[data-username="${ann.username}"] .avatar-picture`).waitFor({ state: "detached" });
});
