// Two-step sign-in in the browser: setting up an authenticator from the settings (the QR
// code drawn, a code from the key turning it on, recovery codes shown once), a login that
// then asks for a code, a recovery code instead, turning it off with the password, and all of
// it in the settings' recent security activity.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { ChatServer, openPerson, signUp, totp, uniqueName } from "./harness.mjs";

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

async function signIn(page, username, password) {
  await page.fill("#login-username", username);
  await page.fill("#login-password", password);
  await page.click("#login-form [type=submit]");
}

test("an authenticator is set up in the settings and then asked for at sign-in", async () => {
  const p = await openPerson(server);
  people.push(p);
  await signUp(p, uniqueName("totp"));
  const { page } = p;
  await page.click("#me button[aria-label=Settings]");
  await page.locator("#two-step-state", { hasText: "Off" }).waitFor();

  await page.click("#two-step-enable");
  await page.fill("#two-step-password", "not my password");
  await page.click("#two-step-password-form [type=submit]");
  await page.locator("#two-step-password-error", { hasText: "not your password" }).waitFor();
  await page.fill("#two-step-password", p.password);
  await page.click("#two-step-password-form [type=submit]");
  await page.waitForSelector("#two-step-qr svg path");
  const key = (await page.textContent("#two-step-secret")).trim();
  assert.match(key, /^[A-Z2-7]{4}( [A-Z2-7]{4}){7}$/, "the key in groups of four");

  await page.fill("#two-step-code", "000000");
  await page.click("#two-step-confirm-form [type=submit]");
  if (totp(key) !== "000000") await page.locator("#two-step-code-error", { hasText: "not right" }).waitFor();
  await page.fill("#two-step-code", totp(key));
  await page.click("#two-step-confirm-form [type=submit]");
  await page.waitForSelector("#two-step-codes:not([hidden])");
  const codes = await page.locator("#two-step-code-list code").allTextContents();
  assert.equal(codes.length, 10);
  await page.click("#two-step-done");
  await page.locator("#two-step-state", { hasText: "On" }).waitFor();
  await page.locator("#two-step-state", { hasText: "10 recovery codes left" }).waitFor();

  // Signing in again: the password, then a code.
  await page.click("#logout");
  await page.waitForSelector("#auth:not([hidden])");
  await signIn(page, p.username, p.password);
  await page.waitForSelector("#code-form:not([hidden])");
  assert.equal(await page.isVisible("#app"), false, "not signed in on the password alone");
  await page.fill("#login-code", "999999");
  await page.click("#code-form [type=submit]");
  if (totp(key, 1) !== "999999") await page.locator("#login-code-error", { hasText: "not right" }).waitFor();
  // The code that turned it on was used up: the app's next one.
  await page.fill("#login-code", totp(key, 1));
  await page.click("#code-form [type=submit]");
  await page.locator("#me-name", { hasText: p.username }).waitFor();

  // A recovery code instead, once; then it is turned off with the password.
  await page.click("#me button[aria-label=Settings]");
  await page.click("#logout");
  await page.waitForSelector("#auth:not([hidden])");
  await signIn(page, p.username, p.password);
  await page.waitForSelector("#code-form:not([hidden])");
  await page.fill("#login-code", codes[0]);
  await page.click("#code-form [type=submit]");
  await page.locator("#me-name", { hasText: p.username }).waitFor();
  await page.click("#me button[aria-label=Settings]");
  await page.locator("#two-step-state", { hasText: "9 recovery codes left" }).waitFor();
  await page.click("#two-step-disable");
  await page.fill("#two-step-password", p.password);
  await page.click("#two-step-password-form [type=submit]");
  await page.locator("#two-step-state", { hasText: "Off" }).waitFor();
  await page.click("#logout");
  await page.waitForSelector("#auth:not([hidden])");
  await signIn(page, p.username, p.password);
  await page.locator("#me-name", { hasText: p.username }).waitFor();

  // All of it is in the settings' recent security activity, failures standing out.
  await page.click("#me button[aria-label=Settings]");
  for (const text of ["Two-step sign-in turned off", "Signed in with a recovery code", "Two-step sign-in turned on", "Account created"]) {
    await page.locator("#activity-list .name", { hasText: text }).first().waitFor();
  }
  await page.locator("#activity-list .activity-warning .name", { hasText: "Failed sign-in: wrong code" }).first().waitFor();
});
