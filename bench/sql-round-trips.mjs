#!/usr/bin/env node
// How many HTTP round trips to the libSQL server (sqld) each kind of request makes on
// real Spin: a cluster (scripts/cluster.mjs, Redis mode) whose processes reach sqld through
// a proxy that counts every request, then requests of each kind sent to one process, one
// at a time, and the count's growth divided by how many were sent. Prints a Markdown table.
//
//   node bench/sql-round-trips.mjs [--embedded]
//
// Figures, not a test: docs/benchmarks.md quotes them. Needs what `make cluster` needs,
// with the components built.

import { Cluster } from "../scripts/cluster.mjs";

const embedded = process.argv.includes("--embedded");
const LIFTED = { messages_per_second: "100000", messages_burst: "100000", signups_per_ip_per_hour: "100000", password_hashes_per_second: "100000" };
const cluster = await Cluster.start({ embedded, settings: LIFTED, countSql: true });
const base = cluster.nodeBase(0);
const total = () => Object.values(cluster.sqlCounts).reduce((a, b) => a + b, 0);

async function call(method, path, { token, body } = {}) {
  const headers = { accept: "application/json" };
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers["content-type"] = "application/json";
  const response = await fetch(base + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await response.text();
  if (response.status >= 400) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

/** Round trips per request of `make(i)`, over `n` sequential requests. */
async function measure(label, n, make) {
  const before = total();
  for (let i = 0; i < n; i++) await make(i);
  return { label, perRequest: (total() - before) / n };
}

try {
  const name = (p) => `${p}${Date.now().toString(36)}`;
  const ann = await call("POST", "/api/auth/signup", { body: { username: name("ann"), password: "long enough 1" } });
  const bob = await call("POST", "/api/auth/signup", { body: { username: name("bob"), password: "long enough 1" } });
  const room = await call("POST", "/api/rooms", { token: ann.token, body: { name: name("room") } });
  await call("POST", `/api/rooms/${room.name}/join`, { token: bob.token });
  const rows = [];
  rows.push(await measure("GET /api/health", 20, () => call("GET", "/api/health")));
  rows.push(await measure("GET /api/me", 20, () => call("GET", "/api/me", { token: ann.token })));
  rows.push(
    await measure("POST a message (room of 2)", 50, (i) =>
      call("POST", `/api/conversations/${room.id}/messages`, { token: ann.token, body: { body: `hello ${i}`, client_id: `c${i}` } }),
    ),
  );
  rows.push(
    await measure("POST a retried message (same client_id)", 20, () =>
      call("POST", `/api/conversations/${room.id}/messages`, { token: ann.token, body: { body: "hello 0", client_id: "c0" } }),
    ),
  );
  rows.push(await measure("GET history (50 messages)", 20, () => call("GET", `/api/conversations/${room.id}/messages?limit=50`, { token: bob.token })));
  rows.push(
    await measure("POST /api/auth/signup", 5, () => call("POST", "/api/auth/signup", { body: { username: name(`s${Math.random().toString(36).slice(2, 6)}`), password: "long enough 1" } })),
  );
  console.log(`SQL round trips to sqld per request (one Spin 4 process, ${embedded ? "embedded" : "Redis"} mode)\n`);
  console.log("| request | HTTP requests to sqld |\n|---|---|");
  for (const { label, perRequest } of rows) console.log(`| ${label} | ${perRequest.toFixed(2)} |`);
  console.log(`\nby endpoint: ${JSON.stringify(cluster.sqlCounts)}`);
} finally {
  await cluster.stop();
}
