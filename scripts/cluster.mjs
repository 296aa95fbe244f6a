#!/usr/bin/env node
// A local cluster of the chat: one libSQL server (sqld), one Redis, three `spin up`
// processes on ports of their own sharing both, and HAProxy in front of them
// (cluster/haproxy.cfg). `make cluster` runs it in the foreground (Ctrl-C stops everything
// it started); the test harness imports `Cluster` to start, kill and restart its parts.
//
//   node scripts/cluster.mjs [--port 3000] [--embedded] [--no-build] [--dir DIR]
//                            [--variable NAME=VALUE ...]   (Spin variables for every process)
//   node scripts/cluster.mjs --check    (exit 1, saying what is missing, when it cannot run)
//
// It finds Spin as `spin` on PATH, else ../shared/bin/spin; sqld as `sqld` on PATH, else
// ../shared/bin/sqld; redis-server and haproxy on PATH (or /usr/sbin).

import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync } from "node:fs";
import { request as httpRequest, createServer as createHttpServer } from "node:http";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("..", import.meta.url)).replace(/\/$/, "");
const NODES = 3;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A free TCP port on loopback. */
export async function freePort() {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once("error", fail);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => done(port));
    });
  });
}

/** Resolves once `check()` is truthy (errors count as not yet); fails after `timeoutMs`. */
export async function waitFor(check, what, timeoutMs = 60_000) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await check()) return;
    } catch {
      // not yet
    }
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

function onPath(name, extra = []) {
  for (const dir of [...(process.env.PATH ?? "").split(delimiter), ...extra]) {
    if (dir && existsSync(join(dir, name))) return join(dir, name);
  }
  return null;
}

/** The programs a cluster needs, or a one-line reason why there is none here. */
export function findTools() {
  const shipped = (name) => (existsSync(join(ROOT, "../shared/bin", name)) ? join(ROOT, "../shared/bin", name) : null);
  const tools = {
    spin: process.env.CHAT_SPIN || onPath("spin") || shipped("spin"),
    sqld: onPath("sqld") || shipped("sqld"),
    redis: onPath("redis-server"),
    haproxy: onPath("haproxy", ["/usr/sbin", "/usr/local/sbin"]),
  };
  const missing = Object.entries(tools).filter(([, path]) => !path).map(([name]) => name);
  return missing.length ? { missing: `no ${missing.join(", ")} (on PATH, or sqld and spin in ../shared/bin)` } : tools;
}

/** A child in its own process group, so a kill takes its children too (as a crash would). */
class Child {
  constructor(name, command, args, { dir, env, cwd = ROOT }) {
    Object.assign(this, { name, command, args, dir, env, cwd });
  }

  start() {
    const log = openSync(join(this.dir, `${this.name}.log`), "a");
    this.process = spawn(this.command, this.args, { cwd: this.cwd, env: { ...process.env, ...this.env }, stdio: ["ignore", log, log], detached: true });
    this.exited = new Promise((r) => this.process.once("exit", r));
  }

  /** SIGKILL to the whole group: no goodbye to anyone. */
  async kill() {
    if (!this.process) return;
    if (this.process.exitCode === null && this.process.signalCode === null) {
      try {
        process.kill(-this.process.pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
    await this.exited;
  }
}

/** Whether a GET of `url` answers 200 (throws while nothing listens). */
async function httpOk(url) {
  const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
  await response.arrayBuffer();
  return response.status === 200;
}

/** Whether nothing answers HTTP on loopback `port` any more. */
export async function portClosed(port) {
  try {
    await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(1_000) });
    return false;
  } catch {
    return true;
  }
}

export class Cluster {
  /**
   * Starts sqld, Redis (unless `embedded`), three `spin up` processes and HAProxy on
   * `port` (a free one when not given). `settings` are Spin variables for every process.
   */
  static async start({ port = 0, embedded = false, settings = {}, dir = null, countSql = false, tools = findTools() } = {}) {
    if (tools.missing) throw new Error(`cannot start a cluster: ${tools.missing}`);
    const cluster = new Cluster();
    cluster.tools = tools;
    cluster.dir = dir ?? mkdtempSync(join(tmpdir(), "chat-cluster-"));
    cluster.ownsDir = !dir;
    mkdirSync(cluster.dir, { recursive: true });
    cluster.port = port || (await freePort());
    cluster.sqldPort = await freePort();
    cluster.redisPort = embedded ? null : await freePort();
    cluster.nodePorts = [];
    for (let i = 0; i < NODES; i++) cluster.nodePorts.push(await freePort());
    cluster.settings = settings;
    // Every HTTP request Spin makes to sqld, counted by path (bench/sql-round-trips.mjs).
    if (countSql) cluster.sqlCounts = await cluster.#countingProxy();
    try {
      await cluster.#launch();
    } catch (error) {
      await cluster.stop();
      throw error;
    }
    return cluster;
  }

  get base() {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The address of process `i` (0..2), bypassing the proxy. */
  nodeBase(i) {
    return `http://127.0.0.1:${this.nodePorts[i]}`;
  }

  get redisUrl() {
    return this.redisPort ? `redis://127.0.0.1:${this.redisPort}` : null;
  }

  /** An HTTP proxy in front of sqld that counts requests; the processes dial it instead. */
  async #countingProxy() {
    const counts = {};
    const port = await freePort();
    this.countingServer = createHttpServer((req, res) => {
      counts[req.url] = (counts[req.url] ?? 0) + 1;
      const upstream = httpRequest({ host: "127.0.0.1", port: this.sqldPort, path: req.url, method: req.method, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode, answer.headers);
        answer.pipe(res);
      });
      upstream.on("error", () => res.destroy());
      req.pipe(upstream);
    });
    await new Promise((r) => this.countingServer.listen(port, "127.0.0.1", r));
    this.sqlUrlPort = port;
    return counts;
  }

  async #launch() {
    const { dir, tools } = this;
    // The runtime config every process uses: the `default` database on the sqld below. A
    // local sqld checks no token; Turso's is the database token (docs/deploy.md).
    this.runtimeConfig = join(dir, "runtime-config.toml");
    writeFileSync(
      this.runtimeConfig,
      `[sqlite_database.default]\ntype = "libsql"\nurl = "http://127.0.0.1:${this.sqlUrlPort ?? this.sqldPort}"\ntoken = "local-sqld-checks-no-token"\n`,
    );
    // sqld's own limits (128 connections and 128 requests at once) stay: every Spin request
    // holds a connection while it runs, and at 1024 a burst of 400 stream opens was let in
    // only for sqld to spend both cores on writers waiting for its lock (setup of the iv
    // load stalled for minutes); at 128 the excess is turned away at once with 503 and
    // Retry-After, and comes back.
    const sqldArgs = ["-d", join(dir, "sqld-data"), "--http-listen-addr", `127.0.0.1:${this.sqldPort}`, "--no-welcome"];
    this.sqld = new Child("sqld", tools.sqld, sqldArgs, { dir });
    this.redis = this.redisPort
      ? new Child("redis", tools.redis, ["--port", String(this.redisPort), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir], { dir })
      : null;
    this.nodes = this.nodePorts.map((port, i) => {
      const variables = {
        signups_per_ip_per_hour: "10000",
        trusted_proxies: "127.0.0.2", // HAProxy's `source` (cluster/haproxy.cfg)
        ...this.settings,
        ...(this.redisUrl ? { redis_url: this.redisUrl, redis_host: `127.0.0.1:${this.redisPort}` } : {}),
      };
      const args = ["--listen", `127.0.0.1:${port}`, "--runtime-config-file", this.runtimeConfig, "--state-dir", join(dir, `node${i + 1}-state`)];
      for (const [k, v] of Object.entries(variables)) args.push("--variable", `${k}=${v}`);
      // scripts/spin-up.sh: the flavour's manifest (CHAT_FLAVOUR) and its Spin settings.
      return new Child(`node${i + 1}`, join(ROOT, "scripts/spin-up.sh"), args, { dir, env: { CHAT_SPIN: tools.spin } });
    });
    const config = join(ROOT, "cluster");
    this.proxy = new Child("haproxy", tools.haproxy, ["-f", join(config, "haproxy.cfg"), "-db"], {
      dir,
      env: {
        CHAT_PROXY_BIND: `127.0.0.1:${this.port}`,
        CHAT_CLUSTER_CONFIG: config,
        ...Object.fromEntries(this.nodePorts.map((port, i) => [`CHAT_NODE${i + 1}`, `127.0.0.1:${port}`])),
      },
    });

    await this.startSqld();
    if (this.redis) await this.startRedis();
    // All three at once against an empty database: the migrations must cope.
    await Promise.all(this.nodes.map((_, i) => this.startNode(i)));
    this.proxy.start();
    await waitFor(() => httpOk(`${this.base}/api/health`), `HAProxy on port ${this.port}`);
  }

  async startSqld() {
    this.sqld.start();
    await waitFor(() => httpOk(`http://127.0.0.1:${this.sqldPort}/health`), `sqld on port ${this.sqldPort}`);
  }

  /** Kills sqld (SIGKILL) and starts it again on the same port and data directory. */
  async restartSqld(downMs = 0) {
    await this.sqld.kill();
    await waitFor(() => portClosed(this.sqldPort), "sqld to stop");
    await sleep(downMs);
    await this.startSqld();
  }

  async startRedis() {
    this.redis.start();
    await waitFor(
      () => spawnSync("redis-cli", ["-p", String(this.redisPort), "ping"]).stdout?.toString().includes("PONG"),
      `redis on port ${this.redisPort}`,
    );
  }

  /** Kills Redis; `restartRedis` brings it back empty (nothing was saved). */
  async killRedis() {
    await this.redis.kill();
  }

  async restartRedis() {
    await this.startRedis();
  }

  async startNode(i) {
    this.nodes[i].start();
    await waitFor(() => httpOk(`${this.nodeBase(i)}/api/health`), `spin up (node${i + 1}) on port ${this.nodePorts[i]}`, 90_000);
  }

  /** Kills process `i`'s whole group (`spin up` and its trigger child). */
  async killNode(i) {
    await this.nodes[i].kill();
    await waitFor(() => portClosed(this.nodePorts[i]), `node${i + 1} to stop`);
  }

  /** Where everything is, with process ids (a process group's every member). */
  describe() {
    const group = (child) => {
      const listed = spawnSync("pgrep", ["-g", String(child.process.pid)]).stdout?.toString() ?? "";
      return listed.split("\n").filter(Boolean).map(Number);
    };
    return {
      base: this.base,
      nodes: this.nodes.map((node, i) => ({ base: this.nodeBase(i), pids: group(node) })),
      sqld: { url: `http://127.0.0.1:${this.sqldPort}`, pid: this.sqld.process.pid },
      redis: this.redis ? { url: this.redisUrl, pid: this.redis.process.pid } : null,
      proxy: { pid: this.proxy.process.pid },
    };
  }

  async stop() {
    for (const child of [this.proxy, ...(this.nodes ?? []), this.redis, this.sqld]) await child?.kill();
    this.countingServer?.close();
    this.countingServer?.closeAllConnections();
    if (this.ownsDir && this.dir) rmSync(this.dir, { recursive: true, force: true });
  }
}

/** `make cluster`: build, start, print where everything is, stop on Ctrl-C. */
async function main(argv) {
  const option = (name) => argv.includes(name);
  const value = (name, fallback) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : fallback);
  const tools = findTools();
  if (tools.missing) {
    console.error(`${option("--check") ? "" : "error: "}cannot start the cluster: ${tools.missing}`);
    process.exit(1);
  }
  if (option("--check")) process.exit(0);
  if (!option("--no-build")) {
    const flavour = process.env.CHAT_FLAVOUR || "wasip3";
    console.log(`==> building the components (scripts/build.sh ${flavour})`);
    const built = spawnSync(join(ROOT, "scripts/build.sh"), [flavour], { cwd: ROOT, stdio: "inherit" });
    if (built.status !== 0) process.exit(built.status ?? 1);
  }
  const dir = value("--dir", join(ROOT, ".data/cluster"));
  const settings = {};
  argv.forEach((arg, i) => {
    if (arg === "--variable") {
      const [name, ...rest] = (argv[i + 1] ?? "").split("=");
      settings[name] = rest.join("=");
    }
  });
  const cluster = await Cluster.start({ port: Number(value("--port", "3000")), embedded: option("--embedded"), dir, settings });
  // For scripts that drive it (bench/cluster.sh): ports and process ids.
  writeFileSync(join(dir, "cluster.json"), JSON.stringify(cluster.describe(), null, 2));
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    console.log("\n==> stopping the cluster");
    await cluster.stop();
    process.exit(0);
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  console.log(`==> the chat on ${cluster.base} (HAProxy, cluster/haproxy.cfg)`);
  cluster.nodePorts.forEach((port, i) => console.log(`    node${i + 1}: spin up on 127.0.0.1:${port}`));
  console.log(`    sqld: http://127.0.0.1:${cluster.sqldPort} (data in ${join(dir, "sqld-data")})`);
  console.log(cluster.redisUrl ? `    redis: ${cluster.redisUrl}` : "    embedded mode: no Redis");
  console.log(`    logs: ${dir}/*.log; Ctrl-C stops everything`);
  // Nothing to do but wait; the children run in their own process groups.
  setInterval(() => {}, 1 << 30);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main(process.argv.slice(2)).catch((error) => {
    console.error(`error: ${error.message}`);
    process.exit(1);
  });
}
