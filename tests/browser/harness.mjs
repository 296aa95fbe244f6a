// The browser suite's harness: starts a real chat server (the native `chat-dev`, or real
// Spin with `spin up`, in embedded or Redis mode) on a free port with a fresh SQLite file,
// restarts it on demand, and opens Debian's Chromium through playwright-core with one
// signed-up user per browser context.
//
// CHAT_BROWSER_HOST picks the server: `chat-dev` (default), `spin` or `spin-redis`, or
// `cluster` / `cluster-redis`: three `spin up` processes on one sqld behind HAProxy
// (scripts/cluster.mjs), reached through the proxy.
// CHAT_SPIN is the Spin CLI to use (scripts/test.sh finds it); CHROMIUM the browser.

import { createHmac } from "node:crypto";
import zlib from "node:zlib";
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, existsSync, rmSync, openSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { Cluster, freePort, portClosed, waitFor } from "../../scripts/cluster.mjs";

// (not import.meta.dirname: it arrived in Node 20.11, and any Node 20 should do)
export const ROOT = fileURLToPath(new URL("../..", import.meta.url)).replace(/\/$/, "");
export const HOST = process.env.CHAT_BROWSER_HOST ?? "chat-dev";
/** The same host in Redis mode, for the tests that need Redis whatever the run's mode. */
export const HOST_WITH_REDIS = HOST.endsWith("-redis") ? HOST : `${HOST}-redis`;

/** Settings every run uses: many signups from one address, the defaults otherwise. */
const SETTINGS = { signups_per_ip_per_hour: "10000", messages_burst: "1000" };

/** A real Redis server on a free port (the Redis bus modes). */
class Redis {
  async start(dir) {
    this.dir = dir;
    this.port ??= await freePort();
    this.process = spawn("redis-server", ["--port", String(this.port), "--save", "", "--appendonly", "no", "--dir", dir], { stdio: "ignore" });
    await waitFor(() => spawnSync("redis-cli", ["-p", String(this.port), "ping"]).stdout?.toString().includes("PONG"), "redis");
    return `redis://127.0.0.1:${this.port}`;
  }

  async stop() {
    if (!this.process || this.process.exitCode !== null) return;
    const gone = new Promise((r) => this.process.once("exit", r));
    this.process.kill("SIGKILL");
    await gone;
  }
}

/** One chat server for a test file; `restart()` keeps its port and database. */
export class ChatServer {
  /**
   * Starts a server. `settings` add to the run's settings; `share` is a running server
   * whose SQLite database and Redis this one uses too (a second instance of one service).
   */
  static async start(host = HOST, { settings = {}, share = null } = {}) {
    if (host.startsWith("cluster")) return ClusterServer.startCluster(host, settings);
    const server = new ChatServer(host);
    server.extraSettings = settings;
    server.port = await freePort();
    if (share) {
      server.dir = share.dir;
      server.shared = true;
      server.redisUrl = share.redisUrl;
    } else {
      server.dir = mkdtempSync(join(tmpdir(), "chat-browser-"));
      if (host.endsWith("-redis")) {
        server.redis = new Redis();
        server.redisUrl = await server.redis.start(server.dir);
      }
    }
    await server.launch();
    return server;
  }

  constructor(host) {
    this.host = host;
    this.url = "";
  }

  get base() {
    return `http://127.0.0.1:${this.port}`;
  }

  async launch() {
    const log = openSync(join(this.dir, `server-${this.port}.log`), "a");
    const settings = { ...SETTINGS, ...this.extraSettings, ...(this.redisUrl ? { redis_url: this.redisUrl } : {}) };
    // Spin only lets the components dial the Redis host the manifest names.
    const spinOnly = this.redisUrl ? { redis_host: new URL(this.redisUrl).host } : {};
    if (this.host.startsWith("spin")) {
      // scripts/spin-up.sh: the flavour's manifest (CHAT_FLAVOUR) and its Spin settings;
      // the Spin CLI is CHAT_SPIN, else the one scripts/find-spin.sh finds.
      const args = ["--listen", `127.0.0.1:${this.port}`, "--state-dir", join(this.dir, "spin-state")];
      for (const [k, v] of Object.entries({ ...settings, ...spinOnly })) args.push("--variable", `${k}=${v}`);
      // Its own process group: `spin up` runs the trigger as a child, and a kill must
      // take both down, as a crash would.
      this.process = spawn(join(ROOT, "scripts/spin-up.sh"), args, { cwd: ROOT, stdio: ["ignore", log, log], detached: true });
    } else {
      const bin = join(ROOT, "target/debug/chat-dev");
      if (!existsSync(bin)) throw new Error(`${bin} is missing: run \`cargo build -p chat-native --bin chat-dev\``);
      const env = { ...process.env };
      for (const [k, v] of Object.entries(settings)) env[`CHAT_${k.toUpperCase()}`] = v;
      this.process = spawn(bin, ["--listen", `127.0.0.1:${this.port}`, "--db", join(this.dir, "chat.db")], { env, stdio: ["ignore", log, log] });
    }
    const exited = new Promise((r) => this.process.once("exit", r));
    this.exited = exited;
    await waitFor(async () => (await fetch(`${this.base}/api/health`)).status === 200, `${this.host} on port ${this.port}`, 60_000);
  }

  /** Kills the server (SIGKILL: no goodbye to open streams) and waits until it is gone. */
  async kill() {
    if (this.process.exitCode === null) {
      try {
        process.kill(this.host.startsWith("spin") ? -this.process.pid : this.process.pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
    await this.exited;
    // The port is free once nothing answers on it (a child may outlive the parent briefly).
    await waitFor(() => portClosed(this.port), "the old server to stop");
  }

  /** Kills the server and starts it again on the same port with the same database. */
  async restart() {
    await this.kill();
    await this.launch();
  }

  /** Kills Redis (the event bus and limiter) with the server still running. */
  async killRedis() {
    await this.redis.stop();
  }

  /** Starts Redis again on the same port, empty (nothing was saved). */
  async restartRedis() {
    await this.redis.start(this.dir);
  }

  async stop() {
    await this.kill();
    await this.redis?.stop();
    if (!this.shared && !process.env.CHAT_KEEP_DIR) rmSync(this.dir, { recursive: true, force: true });
  }

  /** Calls the API directly (setting up a scene faster than clicking it). */
  async api(method, path, { token, body } = {}) {
    const headers = { accept: "application/json" };
    if (token) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers["content-type"] = "application/json";
    const response = await fetch(this.base + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : null };
  }
}

/**
 * The cluster behind the same face: `base` is HAProxy's address, `kill`/`launch` take all
 * three processes down and up, and `cluster` reaches each part (nodeBase, killNode,
 * startNode, restartSqld) for the tests that aim at one process.
 */
class ClusterServer extends ChatServer {
  static async startCluster(host, settings) {
    const server = new ClusterServer(host);
    server.cluster = await Cluster.start({ embedded: !host.endsWith("-redis"), settings: { ...SETTINGS, ...settings } });
    server.port = server.cluster.port;
    server.dir = server.cluster.dir;
    server.redisUrl = server.cluster.redisUrl;
    server.redis = server.cluster.redis;
    return server;
  }

  async launch() {
    await Promise.all(this.cluster.nodes.map((_, i) => this.cluster.startNode(i)));
  }

  async kill() {
    await Promise.all(this.cluster.nodes.map((_, i) => this.cluster.killNode(i)));
  }

  async killRedis() {
    await this.cluster.killRedis();
  }

  async restartRedis() {
    await this.cluster.restartRedis();
  }

  async stop() {
    await this.cluster.stop();
  }
}

export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-dev-shm-usage"],
  });
}

/**
 * The events of a `text/event-stream` response as they arrive: `{id, type, data}` with
 * `data` parsed as JSON; comments and `retry:` lines are skipped. Ends with the body.
 */
export async function* sseEvents(response) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true });
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const event = { id: null, type: "message", data: null };
      let hasData = false;
      for (const line of block.split("\n")) {
        if (line.startsWith("id:")) event.id = line.slice(3).trim();
        else if (line.startsWith("event:")) event.type = line.slice(6).trim();
        else if (line.startsWith("data:")) {
          event.data = JSON.parse(line.slice(5));
          hasData = true;
        }
      }
      if (hasData) yield event;
    }
  }
}

let counter = 0;

/** A username unique to this run. */
export function uniqueName(prefix) {
  counter += 1;
  return `${prefix}${Date.now().toString(36).slice(-5)}${counter}`;
}

/**
 * A person: a Chromium of their own (as on their own computer: their window keeps the
 * focus, which is what marks messages read) with the page open. Page errors are
 * collected; `errors` must stay empty. `close()` ends it. `touch` makes it a phone's
 * touch screen (no hover, a coarse pointer).
 */
export async function openPerson(server, { viewport = { width: 1280, height: 800 }, touch = false, base = server.base } = {}) {
  const browser = await launchBrowser();
  // `touch`: a phone's touch screen (no hover, a coarse pointer), not only its size.
  // `base`: where the page is opened (passkeys need a domain name: `localhost`).
  const context = await browser.newContext({ viewport, baseURL: base, hasTouch: touch, isMobile: touch });
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (error) => errors.push(error.message));
  // The strict CSP must never have to block anything the page itself does.
  page.on("console", (message) => {
    if (/Content Security Policy/i.test(message.text())) errors.push(message.text());
  });
  page.on("dialog", (dialog) => dialog.accept());
  await page.goto("/");
  return { browser, context, page, errors, close: () => browser.close() };
}

/** Signs up through the form; resolves once the contact list shows. */
export async function signUp(person, username, { displayName = "", password = "correct horse 1" } = {}) {
  const { page } = person;
  await page.click("#tab-signup");
  await page.fill("#signup-username", username);
  if (displayName) await page.fill("#signup-display", displayName);
  await page.fill("#signup-password", password);
  await page.click("#signup-form [type=submit]");
  await page.waitForSelector("#me-name");
  person.username = username;
  person.displayName = displayName || username;
  person.password = password;
  return person;
}

/** Makes two signed-up people friends through the page (request, then accept). */
export async function befriend(a, b) {
  await a.page.fill("#add-friend-input", b.username);
  await a.page.click("#add-friend button[type=submit]");
  await b.page.click(`#request-list [data-username="${a.username}"] button.primary`);
  await a.page.waitForSelector(`.contact[data-username="${b.username}"]`);
  await b.page.waitForSelector(`.contact[data-username="${a.username}"]`);
}

/** Sends a message from the open conversation with Enter. */
export async function say(person, text) {
  await person.page.fill("#message-input", text);
  await person.page.press("#message-input", "Enter");
}

/** The bodies of the open conversation's messages, in order. */
export async function bodies(page) {
  return page.locator("#log .msg .body").allTextContents();
}

/**
 * Opens the public room `name` from the page's "Join a room" field, creating it when the
 * page offers to (nobody has it yet). Resolves once the room is open.
 */
export async function enterRoom(person, name) {
  const { page } = person;
  await page.fill("#join-room-input", name);
  await page.click("#join-room button[type=submit]");
  const title = page.locator("#chat-title", { hasText: `#${name}` });
  const offer = page.locator("#create-room-confirm");
  await Promise.race([title.waitFor(), offer.waitFor()]);
  if (await offer.isVisible()) await offer.click();
  await title.waitFor();
}

/** A whole PNG of `width` x `height` red pixels, made here (zlib has what PNG needs). */
export function png(width, height) {
  const chunk = (type, data) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(zlib.crc32(Buffer.concat([Buffer.from(type), data])));
    return Buffer.concat([length, Buffer.from(type), data, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8); // 8-bit RGB
  const row = Buffer.concat([Buffer.from([0]), Buffer.alloc(width * 3, Buffer.from([220, 40, 40]))]);
  const pixels = zlib.deflateSync(Buffer.concat(Array.from({ length: height }, () => row)));
  return Buffer.concat([Buffer.from("89504e470d0a1a0a", "hex"), chunk("IHDR", header), chunk("IDAT", pixels), chunk("IEND", Buffer.alloc(0))]);
}

/** An authenticator app: the RFC 6238 code of a base32 key, `steps` steps from now. */
export function totp(key, steps = 0) {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = "";
  for (const c of key.replace(/\s+/g, "")) bits += alphabet.indexOf(c).toString(2).padStart(5, "0");
  const bytes = Buffer.from(bits.match(/.{8}/g).map((b) => Number.parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(Date.now() / 30000) + steps));
  const mac = createHmac("sha1", bytes).update(counter).digest();
  const offset = mac[mac.length - 1] & 0xf;
  return String((mac.readUInt32BE(offset) & 0x7fffffff) % 1000000).padStart(6, "0");
}
