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
