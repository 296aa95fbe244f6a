// Takes the screenshots of docs/screenshots/ (not a test): a few people chatting on a fresh
// chat-dev, shot at desktop and phone sizes, light and dark.
// Run: cargo build -p chat-native --bin chat-dev && node tests/browser/screenshots.mjs

import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { ChatServer, ROOT, openPerson, signUp, befriend, say, enterRoom } from "./harness.mjs";

const out = join(ROOT, "docs/screenshots");
mkdirSync(out, { recursive: true });
const PHONE = { width: 390, height: 844 };

const server = await ChatServer.start("chat-dev");
try {
  const signIn = await openPerson(server);
  await signIn.page.screenshot({ path: join(out, "sign-in.png") });
  await signIn.close();

  const ann = await signUp(await openPerson(server), "ann", { displayName: "Ann Lee" });
  const bob = await signUp(await openPerson(server, { viewport: PHONE }), "bob", { displayName: "Bob Marsh" });
  const cat = await signUp(await openPerson(server), "cat", { displayName: "Cat Okafor" });
  const dan = await signUp(await openPerson(server), "dan", { displayName: "Dan Ruiz" });
  await befriend(ann, bob);
  await befriend(ann, cat);
  await befriend(ann, dan);
  // Bob and Cat have profile pictures (drawn on a canvas: a face of a colour of their own).
  for (const [person, colour] of [[bob, "#f4a261"], [cat, "#8ecae6"]]) {
    const status = await person.page.evaluate(async (colour) => {
      const canvas = Object.assign(document.createElement("canvas"), { width: 256, height: 256 });
      const g = canvas.getContext("2d");
      g.fillStyle = colour;
      g.fillRect(0, 0, 256, 256);
      g.fillStyle = "#264653";
      g.beginPath();
      g.arc(128, 104, 52, 0, Math.PI * 2);
      g.fill();
      g.beginPath();
      g.ellipse(128, 256, 96, 84, 0, 0, Math.PI * 2);
      g.fill();
      const picture = await new Promise((resolve) => canvas.toBlob(resolve, "image/png"));
      const response = await fetch("/api/me/avatar", { method: "PUT", body: picture, headers: { "content-type": "application/octet-stream" } });
      return response.status;
    }, colour);
    if (status !== 200) throw new Error(`avatar for ${person.username}: ${status}`);
  }
  await ann.page.locator('.contact[data-username="cat"] .avatar-picture').waitFor();
  await dan.page.selectOption("#presence-select", "invisible"); // Dan shows offline
  await ann.page.waitForSelector('#group-offline + ul .contact[data-username="dan"]');
  await dan.close();
  await cat.page.selectOption("#presence-select", "away");
  await cat.page.fill("#status-input", "lunch, back at 2");
  await cat.page.press("#status-input", "Enter");
  await bob.page.fill("#status-input", "shipping the chat page");
  await bob.page.press("#status-input", "Enter");

  await ann.page.click('.contact[data-username="bob"] .row-main');
  await say(ann, "Hey Bob! Did the new chat page land?");
  await bob.page.click(".conversation-list .row-main");
  await say(bob, "It did: try it at http://127.0.0.1:3000 and tell me what you think.");
  await say(bob, "**Shift+Enter** makes\na second line, too.");
  await say(ann, "Looks great. Nudge me when the room is ready.");
  await bob.page.fill("#message-input", "Sure, one moment");
  await ann.page.locator("#typing", { hasText: "typing" }).waitFor();
  await ann.page.locator("#log .msg.mine .seen").waitFor();
  // Bob likes Ann's question.
  const question = ann.page.locator("#log .msg.mine").first();
  const questionId = await question.getAttribute("data-id");
  const conversationId = await ann.page.evaluate(() => document.querySelector(".conversation-list [aria-current=true]")?.closest("li")?.dataset.id);
  await bob.page.evaluate(([c, m]) => fetch(`/api/conversations/${c}/messages/${m}/reactions/${encodeURIComponent("👍")}`, {
    method: "PUT", headers: { "content-type": "application/json" },
  }), [conversationId, questionId]);
  await question.locator(".reaction").waitFor();
  await ann.page.screenshot({ path: join(out, "desktop-chat.png") });
  await bob.page.screenshot({ path: join(out, "phone-chat.png") });
  await bob.page.press("#message-input", "Enter");

  await enterRoom(cat, "lobby");
  await say(cat, "Welcome to #lobby, everyone.");
  await enterRoom(ann, "lobby");
  await say(ann, "Hi Cat!");
  await say(cat, "Hi Ann, the roster is on the right.");
  await say(cat, "שלום! Right-to-left text reads right to left.");
  // Ann answers Cat's tip, mentioning her.
  const tip = ann.page.locator("#log .msg", { hasText: "the roster is on the right" });
  await tip.hover();
  await tip.getByRole("button", { name: "Reply to this message" }).click();
  await say(ann, "@cat found it, **thanks**!");
  await ann.page.locator("#log .msg.mine .quote").waitFor();
  await ann.page.mouse.move(0, 0);
  await ann.page.click("#roster-toggle");
  await ann.page.waitForSelector('.conversation-list [data-kind="room"] .row-main:not(:has(.badge))');
  await ann.page.screenshot({ path: join(out, "desktop-room.png") });

  // The directory of public rooms, with a topic, and a private room with a name.
  await ann.page.click("#room-details");
  await ann.page.fill("#room-topic", "Say hi, ask anything");
  await ann.page.click("#room-save");
  await ann.page.click("#new-private-room");
  await ann.page.fill("#room-title", "Book club");
  await ann.page.fill("#room-topic", "One chapter a week");
  await ann.page.click("#room-save");
  await ann.page.locator("#chat-title", { hasText: "Book club" }).waitFor();
  await ann.page.click("#copy-invite").catch(() => {});
  await ann.page.click("#browse-rooms");
  await ann.page.locator('#rooms-list [data-name="lobby"]').waitFor();
  await ann.page.screenshot({ path: join(out, "desktop-directory.png") });
  await ann.page.keyboard.press("Escape");

  // Files: a picture drawn on a canvas and a document, pasted into #lobby.
  await ann.page.click('.conversation-list [data-kind="room"] .row-main >> text=#lobby');
  await ann.page.evaluate(async () => {
    const canvas = Object.assign(document.createElement("canvas"), { width: 640, height: 400 });
    const g = canvas.getContext("2d");
    const sky = g.createLinearGradient(0, 0, 0, 400);
    sky.addColorStop(0, "#2f6feb");
    sky.addColorStop(1, "#f9c74f");
    g.fillStyle = sky;
    g.fillRect(0, 0, 640, 400);
    g.fillStyle = "#f94144";
    g.beginPath();
    g.arc(470, 250, 70, 0, Math.PI * 2);
    g.fill();
    g.fillStyle = "#1b4332";
    g.fillRect(0, 320, 640, 80);
    const picture = await new Promise((resolve) => canvas.toBlob(resolve, "image/png"));
    const data = new DataTransfer();
    data.items.add(new File([picture], "sunset.png", { type: "image/png" }));
    data.items.add(new File(["%PDF-1.7\n" + "x".repeat(48_000)], "club-agenda.pdf", { type: "application/pdf" }));
    document.getElementById("message-input").dispatchEvent(new ClipboardEvent("paste", { clipboardData: data, bubbles: true, cancelable: true }));
  });
  await ann.page.waitForFunction(() => document.querySelectorAll("#staged .staged-file.done").length === 2);
  await ann.page.fill("#message-input", "Sunset from the roof, and the agenda for Thursday");
  await ann.page.press("#message-input", "Enter");
  await ann.page.locator("#log .msg.mine .att-image img").waitFor();
  await ann.page.waitForFunction(() => document.querySelector("#log .msg.mine .att-image img")?.complete);
  await ann.page.screenshot({ path: join(out, "desktop-files.png") });

  // Framing a profile picture in the settings.
  await ann.page.click("[aria-label='Settings']");
  await ann.page.evaluate(async () => {
    const canvas = Object.assign(document.createElement("canvas"), { width: 600, height: 400 });
    const g = canvas.getContext("2d");
    g.fillStyle = "#b7e4c7";
    g.fillRect(0, 0, 600, 400);
    g.fillStyle = "#2d6a4f";
    g.beginPath();
    g.arc(300, 170, 80, 0, Math.PI * 2);
    g.fill();
    g.beginPath();
    g.ellipse(300, 420, 150, 130, 0, 0, Math.PI * 2);
    g.fill();
    const picture = await new Promise((resolve) => canvas.toBlob(resolve, "image/png"));
    const input = document.getElementById("avatar-input");
    const data = new DataTransfer();
    data.items.add(new File([picture], "me.png", { type: "image/png" }));
    input.files = data.files;
    input.dispatchEvent(new Event("change"));
  });
  await ann.page.locator("#avatar-editor:not([hidden]) #avatar-frame img").waitFor();
  await ann.page.fill("#avatar-zoom", "1.3");
  await ann.page.dispatchEvent("#avatar-zoom", "input");
  await ann.page.screenshot({ path: join(out, "desktop-avatar.png") });
  await ann.page.click("#avatar-save");
  await ann.page.locator("#avatar-current .avatar-picture").waitFor();
  await ann.page.keyboard.press("Escape");

  // Searching one's messages: the words found are marked.
  await ann.page.keyboard.press("Control+k");
  await ann.page.fill("#search-input", "right");
  await ann.page.locator("#search-results .search-result").nth(1).waitFor();
  await ann.page.screenshot({ path: join(out, "desktop-search.png") });
  await ann.page.keyboard.press("Escape");

  // Bob on his phone in the room, its actions folded into the header's menu.
  await bob.page.click("#back");
  await enterRoom(bob, "lobby");
  await bob.page.locator("#log .body", { hasText: "Right-to-left" }).waitFor();
  await bob.page.click("#chat-menu");
  await bob.page.screenshot({ path: join(out, "phone-room.png") });
  await bob.page.click("#chat-menu");

  // Bob reports a message; Cat, who made #lobby and so keeps it, reads the report.
  const reported = bob.page.locator("#log .msg", { hasText: "Right-to-left" });
  await reported.hover();
  await reported.getByRole("button", { name: "Report this message to the room's moderators" }).click();
  await bob.page.fill("#report-reason", "Checking that reports reach someone");
  await bob.page.screenshot({ path: join(out, "phone-report.png") });
  await bob.page.click("#report-form [type=submit]");
  await cat.page.locator("#reports-button", { hasText: "Reports (1)" }).waitFor();
  await cat.page.click("#reports-button");
  await cat.page.locator("#reports-list .report").waitFor();
  await cat.page.screenshot({ path: join(out, "desktop-reports.png") });
  await cat.page.keyboard.press("Escape");
  await cat.page.click("#roster-toggle");
  await cat.page.getByRole("button", { name: "Manage Ann Lee" }).click();
  await cat.page.fill("#ban-reason", "");
  await cat.page.screenshot({ path: join(out, "desktop-manage.png") });
  await cat.page.keyboard.press("Escape");
  await cat.page.click("#roster-toggle");

  await bob.page.click("#back");
  await bob.page.locator(".toast").first().waitFor({ state: "detached", timeout: 10_000 }).catch(() => {});
  await bob.page.screenshot({ path: join(out, "phone-contacts.png") });

  // Bob sets up two-step sign-in on his phone: the key as a QR code and typed.
  await bob.page.click("#me button[aria-label=Settings]");
  await bob.page.click("#two-step-enable");
  await bob.page.fill("#two-step-password", bob.password);
  await bob.page.click("#two-step-password-form [type=submit]");
  await bob.page.waitForSelector("#two-step-qr svg path");
  await bob.page.locator("#two-step-setup").scrollIntoViewIfNeeded();
  await bob.page.screenshot({ path: join(out, "phone-two-step.png") });
  await bob.page.click("#two-step-setup .two-step-cancel");
  await bob.page.keyboard.press("Escape");

  const dark = await openPerson(server, { viewport: { width: 1280, height: 800 } });
  await dark.page.emulateMedia({ colorScheme: "dark" });
  await dark.page.click("#tab-login");
  await dark.page.fill("#login-username", "cat");
  await dark.page.fill("#login-password", cat.password);
  await dark.page.click("#login-form [type=submit]");
  await dark.page.click('.conversation-list [data-kind="room"] .row-main');
  await dark.page.locator("#log .body", { hasText: "roster" }).waitFor();
  await dark.page.screenshot({ path: join(out, "desktop-dark.png") });
  for (const p of [ann, bob, cat, dark]) await p.close();
  console.log(`screenshots in ${out}`);
} finally {
  await server.stop();
}
