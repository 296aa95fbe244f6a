// Passkeys in the browser, with Chromium's virtual authenticator standing in for a
// fingerprint reader: added in the settings, listed, used to sign in without a username or
// password (its signature checked by the service), and removed, after which it signs in no
// more. On a page reached by an IP address the page
// does not offer them (a passkey belongs to a domain name).

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { ChatServer, openPerson, signUp, uniqueName } from "./harness.mjs";

let server;
let ann;
let authenticator;

before(async () => {
  server = await ChatServer.start();
  ann = await signUp(await openPerson(server, { base: server.base.replace("127.0.0.1", "localhost") }), uniqueName("ann"), { displayName: "Ann" });
  const cdp = await ann.context.newCDPSession(ann.page);
  await cdp.send("WebAuthn.enable");
  authenticator = await cdp.send("WebAuthn.addVirtualAuthenticator", {
    options: {
      protocol: "ctap2", transport: "internal", hasResidentKey: true, hasUserVerification: true,
      isUserVerified: true, automaticPresenceSimulation: true,
    },
  });
  authenticator.cdp = cdp;
});

after(async () => {
  assert.deepEqual(ann?.errors ?? [], [], "no script errors on the page");
  await ann?.close();
  await server?.stop();
});

async function openSettings(person) {
  await person.page.click("#me button[aria-label=Settings]");
  await person.page.locator("#passkeys-section:not([hidden])").waitFor();
}

async function signOut(person) {
  await openSettings(person);
  await person.page.click("#logout");
  await person.page.locator("#login-form").waitFor();
}

test("a passkey is added in the settings and signs in without a username or password", async () => {
  await openSettings(ann);
  await ann.page.click("#passkey-form [type=submit]");
  await ann.page.locator("#passkey-name-error", { hasText: "Name it" }).waitFor();
  await ann.page.fill("#passkey-name", "Laptop");
  await ann.page.click("#passkey-form [type=submit]");
  await ann.page.locator("#passkey-list li", { hasText: "Laptop" }).waitFor();
  assert.match(await ann.page.locator("#passkey-list li").first().textContent(), /last used never/);
  const { credentials } = await authenticator.cdp.send("WebAuthn.getCredentials", { authenticatorId: authenticator.authenticatorId });
  assert.equal(credentials.length, 1, "the device holds one passkey");
  assert.equal(credentials[0].isResidentCredential, true, "a discoverable one: no username needed");
  await ann.page.keyboard.press("Escape");

  await signOut(ann);
  await ann.page.click("#passkey-login");
  await ann.page.waitForSelector("#me-name");
  assert.equal(await ann.page.textContent("#me-name"), "Ann");
  await openSettings(ann);
  await ann.page.locator("#passkey-list li", { hasText: "last used" }).filter({ hasNotText: "never" }).waitFor();
  await ann.page.locator("#activity-list li", { hasText: /passkey/i }).first().waitFor();
  await ann.page.keyboard.press("Escape");
});

test("a removed passkey signs in no more", async () => {
  await openSettings(ann);
  await ann.page.getByRole("button", { name: "Remove the passkey Laptop" }).click();
  await ann.page.locator("#passkey-list li", { hasText: "No passkeys." }).waitFor();
  await ann.page.keyboard.press("Escape");
  await signOut(ann);
  await ann.page.click("#passkey-login");
  await ann.page.locator("#login-error", { hasText: "not accepted" }).waitFor();
  assert.equal(await ann.page.locator("#app").isHidden(), true, "still signed out");
});

test("a page reached by an IP address does not offer passkeys", async () => {
  const bob = await openPerson(server);
  try {
    await bob.page.click("#tab-login");
    await bob.page.locator("#login-form").waitFor();
    assert.equal(await bob.page.locator("#passkey-login").isHidden(), true);
    const refused = await bob.context.request.post("/api/auth/passkey-login/options", { headers: { "content-type": "application/json" } });
    assert.equal(refused.status(), 400);
    assert.equal((await refused.json()).error.code, "passkeys_unavailable");
  } finally {
    await bob.close();
  }
});
