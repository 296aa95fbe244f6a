// Accounts in the browser: field errors that mirror the API, a taken username, wrong
// passwords, a session that survives a reload, the session list with revocation, a
// password change, signing out; blocking and unblocking from the contact list.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { ChatServer, openPerson, signUp, befriend, uniqueName } from "./harness.mjs";

let server;
let people = [];

before(async () => {
  server = await ChatServer.start();
});

after(async () => {
  assert.deepEqual(people.flatMap((p) => p.errors), [], "no script errors on the page");
  for (const p of people) await p.close();
  await server?.stop();
});

async function person() {
  const p = await openPerson(server);
  people.push(p);
  return p;
}

test("sign-up errors are shown at the field they concern", async () => {
  const p = await person();
  const { page } = p;
  await page.click("#tab-signup");
  await page.fill("#signup-username", "ab");
  await page.fill("#signup-password", "short");
  await page.click("#signup-form [type=submit]");
  await page.locator("#signup-username-error", { hasText: "3-32 characters" }).waitFor();
  await page.locator("#signup-password-error", { hasText: "at least 8" }).waitFor();
  assert.equal(await page.getAttribute("#signup-username", "aria-invalid"), "true");

  const taken = uniqueName("taken");
  await server.api("POST", "/api/auth/signup", { body: { username: taken, password: "long enough 1" } });
  await page.fill("#signup-username", taken.toUpperCase());
  await page.fill("#signup-password", "long enough 2");
  await page.click("#signup-form [type=submit]");
  await page.locator("#signup-username-error", { hasText: "taken" }).waitFor();
  assert.equal(await page.isVisible("#app"), false);

  // The form works from the keyboard alone: Tab between fields, Enter submits.
  await page.fill("#signup-username", "");
  await page.fill("#signup-password", "");
  await page.focus("#signup-username");
  await page.keyboard.type(uniqueName("keys"));
  await page.keyboard.press("Tab");
  await page.keyboard.type("Keyboard Person");
  await page.keyboard.press("Tab");
  await page.keyboard.type("typed, not clicked");
  await page.keyboard.press("Enter");
  await page.locator("#me-name", { hasText: "Keyboard Person" }).waitFor();
});

test("a session survives a reload; wrong passwords are refused; sign out ends it", async () => {
  const p = await signUp(await person(), uniqueName("rel"));
  await p.page.reload();
  await p.page.locator("#me-name", { hasText: p.username }).waitFor();

  await p.page.click("#me button[aria-label=Settings]");
  await p.page.click("#logout");
  await p.page.waitForSelector("#auth:not([hidden])");
  await p.page.reload();
  await p.page.waitForSelector("#auth:not([hidden])");

  await p.page.fill("#login-username", p.username);
  await p.page.fill("#login-password", "not the password");
  await p.page.click("#login-form [type=submit]");
  await p.page.locator("#login-error", { hasText: "Wrong username or password." }).waitFor();
  await p.page.fill("#login-password", p.password);
  await p.page.click("#login-form [type=submit]");
  await p.page.locator("#me-name", { hasText: p.username }).waitFor();
});

test("sessions are listed and another device can be signed out; a password change keeps this one", async () => {
  const laptop = await signUp(await person(), uniqueName("dev"));
  const phone = await person();
  // A browser never signed in here opens on "Create account".
  await phone.page.click("#tab-login");
  await phone.page.fill("#login-username", laptop.username);
  await phone.page.fill("#login-password", laptop.password);
  await phone.page.click("#login-form [type=submit]");
  await phone.page.waitForSelector("#me-name");

  await laptop.page.click("#me button[aria-label=Settings]");
  const rows = laptop.page.locator("#session-list .row");
  await rows.nth(1).waitFor();
  assert.equal(await rows.count(), 2);
  assert.equal(await rows.filter({ hasText: "This browser" }).count(), 1);
  await rows.filter({ hasNotText: "This browser" }).getByRole("button", { name: "Sign out" }).click();
  await laptop.page.waitForFunction(() => document.querySelectorAll("#session-list .row").length === 1);
  // The revoked device finds out at its next reconnect or reload.
  await phone.page.reload();
  await phone.page.waitForSelector("#auth:not([hidden])");

  await laptop.page.fill("#current-password", "wrong password");
  await laptop.page.fill("#new-password", "a brand new secret");
  await laptop.page.click("#password-form [type=submit]");
  await laptop.page.locator("#current-password-error", { hasText: "not your current password" }).waitFor();
  await laptop.page.fill("#current-password", laptop.password);
  await laptop.page.click("#password-form [type=submit]");
  await laptop.page.locator("#password-status", { hasText: "Password changed" }).waitFor();
  await laptop.page.keyboard.press("Escape");
  await laptop.page.reload();
  await laptop.page.waitForSelector("#me-name");
});

test("blocking a friend removes them; unblocking is in the settings", async () => {
  const ann = await signUp(await person(), uniqueName("bla"));
  const bob = await signUp(await person(), uniqueName("blb"));
  await befriend(ann, bob);
  const row = ann.page.locator(`.contact[data-username="${bob.username}"]`);
  await row.getByRole("button", { name: /^More for/ }).click();
  await row.getByRole("button", { name: "Block" }).click();
  await row.waitFor({ state: "detached" });
  await bob.page.locator(`.contact[data-username="${ann.username}"]`).waitFor({ state: "detached" });

  // Bob can no longer find Ann.
  await bob.page.fill("#add-friend-input", ann.username);
  await bob.page.click("#add-friend button[type=submit]");
  await bob.page.locator("#add-friend-status", { hasText: "Nobody is called" }).waitFor();

  await ann.page.click("#me button[aria-label=Settings]");
  const blocked = ann.page.locator("#blocked-list .row", { hasText: bob.username });
  await blocked.getByRole("button", { name: "Unblock" }).click();
  await ann.page.locator("#blocked-list", { hasText: "Nobody." }).waitFor();
});

test("a throttled login shows the wait from Retry-After", async () => {
  const p = await person();
  const name = uniqueName("thr");
  await server.api("POST", "/api/auth/signup", { body: { username: name, password: "long enough 1" } });
  let status = 0;
  for (let i = 0; i < 20 && status !== 429; i += 1) {
    ({ status } = await server.api("POST", "/api/auth/login", { body: { username: name, password: "wrong guess" } }));
  }
  assert.equal(status, 429);
  // A browser never signed in here opens on "Create account".
  await p.page.click("#tab-login");
  await p.page.fill("#login-username", name);
  await p.page.fill("#login-password", "long enough 1");
  await p.page.click("#login-form [type=submit]");
  await p.page.locator("#login-error", { hasText: /Try again in \d+ s/ }).waitFor();
  assert.equal(await p.page.isDisabled("#login-form [type=submit]"), true);
});

test("an API token is made in the settings, shown once, works as a Bearer token and is revoked", async () => {
  const p = await signUp(await person(), uniqueName("tok"));
  await p.page.click("#me button[aria-label=Settings]");
  await p.page.locator("#token-list", { hasText: "No tokens." }).waitFor();
  await p.page.fill("#token-name", "deploy bot");
  await p.page.fill("#token-password", p.password);
  await p.page.click("#token-form [type=submit]");
  await p.page.waitForSelector("#token-new:not([hidden])");
  const token = (await p.page.textContent("#token-value")).trim();
  assert.match(token, /^[0-9a-f]{64}$/);
  await p.page.locator("#token-list .name", { hasText: "deploy bot" }).waitFor();
  const me = await server.api("GET", "/api/me", { token });
  assert.equal(me.status, 200);
  assert.equal(me.body.username, p.username);
  await p.page.click("#token-done");
  await p.page.click("#token-list button.danger");
  await p.page.locator("#token-list", { hasText: "No tokens." }).waitFor();
  assert.equal((await server.api("GET", "/api/me", { token })).status, 401);
  await p.page.locator("#activity-list .name", { hasText: "API token revoked" }).first().waitFor();
});

test("my data downloads as JSON, and deleting the account asks for the password and a tick", async () => {
  const p = await signUp(await person(), uniqueName("bye"));
  await p.page.click("#me button[aria-label=Settings]");
  const [download] = await Promise.all([p.page.waitForEvent("download"), p.page.click("#export-data")]);
  const data = JSON.parse(await (await import("node:fs/promises")).readFile(await download.path(), "utf8"));
  assert.equal(data.user.username, p.username);

  await p.page.fill("#delete-password", p.password);
  await p.page.click("#delete-account-form [type=submit]");
  await p.page.locator("#delete-confirm-error", { hasText: "Tick the box" }).waitFor();
  await p.page.check("#delete-confirm");
  await p.page.click("#delete-account-form [type=submit]");
  await p.page.waitForSelector("#auth:not([hidden])");
  const login = await server.api("POST", "/api/auth/login", { body: { username: p.username, password: p.password } });
  assert.equal(login.status, 401, "the account is gone");
});
