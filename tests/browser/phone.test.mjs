// A phone-sized run (390x844): the contact list and the chat are two screens with a back
// button, and a conversation works from there.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { ChatServer, openPerson, signUp, befriend, say, uniqueName } from "./harness.mjs";

const PHONE = { width: 390, height: 844 };
let server;
let desk;
let phone;

before(async () => {
  server = await ChatServer.start();
  desk = await signUp(await openPerson(server), uniqueName("desk"), { displayName: "Desk" });
  phone = await signUp(await openPerson(server, { viewport: PHONE }), uniqueName("phone"), { displayName: "Phone" });
});

after(async () => {
  assert.deepEqual([...desk.errors, ...phone.errors], [], "no script errors on the page");
  await desk?.close();
  await phone?.close();
  await server?.stop();
});

test("on a phone the list and the chat are two screens", async () => {
  const { page } = phone;
  assert.equal(await page.isVisible(".sidebar"), true);
  assert.equal(await page.isVisible("#chat"), false, "the chat screen waits for a conversation");
  await befriend(desk, phone);
  await page.click(`.contact[data-username="${desk.username}"] .row-main`);
  await page.waitForSelector("#chat-main:not([hidden])");
  assert.equal(await page.isVisible(".sidebar"), false);
  assert.equal(await page.isVisible("#back"), true);
  await say(phone, "hello from my phone");
  await desk.page.locator(".conversation-list .preview", { hasText: "hello from my phone" }).waitFor();
  await desk.page.click(".conversation-list .row-main");
  await say(desk, "hello from my desk");
  await page.locator("#log .body", { hasText: "hello from my desk" }).waitFor();
  await desk.page.locator("#log .msg.mine", { hasText: "hello from my desk" }).locator(".seen").waitFor();
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= PHONE.width, `no sideways scrolling (${width}px)`);

  await page.click("#back");
  assert.equal(await page.isVisible(".sidebar"), true);
  assert.equal(await page.isVisible("#chat"), false);
  // Back on the list, a new message is unread: the chat screen is not being looked at.
  await say(desk, "are you still there?");
  await page.locator(".conversation-list .badge").waitFor();
  assert.equal(await page.textContent(".conversation-list .badge"), "1");
});

test("on a touch screen Enter breaks the line, Send sends, and a tap shows one bubble's actions", async () => {
  const touch = await signUp(await openPerson(server, { viewport: PHONE, touch: true }), uniqueName("touch"), { displayName: "Touch" });
  try {
    await befriend(desk, touch);
    await touch.page.tap(`.contact[data-username="${desk.username}"] .row-main`);
    await touch.page.waitForSelector("#chat-main:not([hidden])");
    await touch.page.fill("#message-input", "first line");
    await touch.page.press("#message-input", "Enter");
    await touch.page.type("#message-input", "second line");
    assert.equal(await touch.page.inputValue("#message-input"), "first line\nsecond line", "Enter broke the line");
    assert.equal(await touch.page.locator("#log .msg").count(), 0, "nothing sent yet");
    await touch.page.tap("#send");
    await touch.page.locator("#log .msg.mine:not(.pending) .body", { hasText: "second line" }).waitFor();
    await touch.page.fill("#message-input", "another one");
    await touch.page.tap("#send");
    const mine = touch.page.locator("#log .msg.mine:not(.pending)");
    await mine.nth(1).waitFor();

    // No hover on a touch screen: the actions appear on the bubble tapped, only there.
    assert.equal(await touch.page.locator("#log .msg-actions:visible").count(), 0);
    await mine.nth(0).locator(".body").tap();
    await mine.nth(0).getByRole("button", { name: "Edit message" }).waitFor();
    await mine.nth(1).locator(".body").tap();
    await mine.nth(1).getByRole("button", { name: "Edit message" }).waitFor();
    assert.equal(await touch.page.locator("#log .msg-actions:visible").count(), 1, "only on the bubble tapped last");
    await mine.nth(1).locator(".body").tap();
    await touch.page.waitForFunction(() => document.querySelectorAll("#log .msg.selected").length === 0);
    assert.deepEqual(touch.errors, []);
  } finally {
    await touch.close();
  }
});
