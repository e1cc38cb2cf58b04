// The cache-engine workload of benches/engine/workload.rs, step by step, on
// @tanstack/query-core (queries, invalidation, observers) and on
// @reduxjs/toolkit's createEntityAdapter (the entity upserts: TanStack Query
// has no normalized store). Prints one JSON line per case (side "tanstack");
// a wrong count exits non-zero instead of printing a figure.
//
// TanStack runs as it does in a browser: environmentManager says "not a
// server", so every query gets its gc timer (the engine records a gc
// deadline too), and the notify scheduler is synchronous, so notifications
// are delivered inside the measured call as the engine delivers them.
//
// Run: node tanstack.mjs (BENCH_WARMUP and BENCH_RUNS override 3 and 15).

import {
  QueryClient,
  QueryObserver,
  environmentManager,
  notifyManager,
} from "@tanstack/query-core";
import { createEntityAdapter } from "@reduxjs/toolkit";
import { performance } from "node:perf_hooks";

const QUERIES = 10_000;
const OBSERVERS = 1_000;
const ENTITIES = 10_000;

environmentManager.setIsServer(() => false);
notifyManager.setScheduler((run) => run());

const keys = Array.from({ length: QUERIES }, (_, i) =>
  i % 2 === 0 ? ["users", "list", i] : ["posts", i],
);
const data = Array.from({ length: QUERIES }, (_, i) => ({ id: i, title: `item ${i}` }));

const uuid = (n) => `00000000-0000-0000-0000-${n.toString(16).padStart(12, "0")}`;
const roles = ["admin", "moderator", "user"];
const users = Array.from({ length: ENTITIES }, (_, i) => {
  const at = new Date(i * 1000).toISOString();
  return {
    id: uuid(i + 1),
    name: `User ${i}`,
    email: `user${i}@example.com`,
    role: roles[i % 3],
    avatarUrl: null,
    lastActive: at,
    preferences: { theme: "system", notifications: true, language: "en" },
    createdAt: at,
    updatedAt: at,
    version: 1,
  };
});

function timed(f) {
  const start = performance.now();
  const out = f();
  return [out, performance.now() - start];
}

function check(kase, what, got, want) {
  if (got !== want) throw new Error(`${kase}: ${what} is ${got}, expected ${want}`);
}

// `set` then `invalidate` on one fresh client.
function queries() {
  const client = new QueryClient();
  const cache = client.getQueryCache();
  const [, set] = timed(() => {
    for (let i = 0; i < QUERIES; i++) client.setQueryData(keys[i], data[i]);
  });
  check("set", "cached queries", cache.getAll().length, QUERIES);
  const withData = cache.getAll().filter((q) => q.state.data !== undefined).length;
  check("set", "queries with data", withData, QUERIES);

  const [pending, invalidate] = timed(() =>
    client.invalidateQueries({ queryKey: ["users"], refetchType: "none" }),
  );
  check("invalidate", "fetching queries", client.isFetching(), 0);
  const stale = cache.getAll().filter((q) => q.state.isInvalidated).length;
  check("invalidate", "invalidated queries", stale, QUERIES / 2);
  const wrong = cache
    .getAll()
    .filter((q) => q.state.isInvalidated !== (q.queryKey[0] === "users")).length;
  check("invalidate", "queries marked wrongly", wrong, 0);
  client.clear();
  return [pending, [["set", set], ["invalidate", invalidate]]];
}

// `subscribe` then `notify` on one fresh client.
function observers() {
  const client = new QueryClient();
  const key = ["users", "detail", 1];
  client.setQueryData(key, { id: 1, rev: 0 });
  const wanted = { id: 1, rev: 1 };
  let heard = 0;
  // Structural sharing hands observers a copy, so compare the contents.
  const listener = (result) => {
    if (result.data?.id === wanted.id && result.data?.rev === wanted.rev) heard++;
  };
  const unsubscribes = [];
  const [, subscribe] = timed(() => {
    for (let i = 0; i < OBSERVERS; i++) {
      const observer = new QueryObserver(client, {
        queryKey: key,
        staleTime: Infinity,
        enabled: false,
      });
      unsubscribes.push(observer.subscribe(listener));
    }
  });
  const query = client.getQueryCache().find({ queryKey: key });
  check("subscribe", "observers", query.getObserversCount(), OBSERVERS);
  heard = 0;

  const [, notify] = timed(() => client.setQueryData(key, wanted));
  check("notify", "observers notified", heard, OBSERVERS);
  unsubscribes.forEach((stop) => stop());
  client.clear();
  return [["subscribe", subscribe], ["notify", notify]];
}

// `upsert` with RTK's entity adapter on a plain (non-draft) state.
function entities() {
  const adapter = createEntityAdapter();
  const empty = adapter.getInitialState();
  const [state, upsert] = timed(() => adapter.upsertMany(empty, users));
  check("upsert", "users held", state.ids.length, ENTITIES);
  check("upsert", "entities held", Object.keys(state.entities).length, ENTITIES);
  return [["upsert", upsert]];
}

async function run(warmup, runs) {
  const figures = new Map();
  for (let round = 0; round < warmup + runs; round++) {
    const [pending, times] = queries();
    await pending;
    times.push(...observers(), ...entities());
    if (round < warmup) continue;
    for (const [kase, ms] of times) {
      if (!figures.has(kase)) figures.set(kase, []);
      figures.get(kase).push(ms);
    }
  }
  for (const [kase, times] of figures) {
    const sorted = [...times].sort((a, b) => a - b);
    const n = sorted.length;
    const median = n % 2 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    const line = { side: "tanstack", case: kase, median_ms: median, min_ms: sorted[0], runs: n };
    console.log(JSON.stringify(line));
  }
}

const envOr = (name, fallback) => {
  const n = Number.parseInt(process.env[name] ?? "", 10);
  return Number.isFinite(n) ? n : fallback;
};

try {
  await run(envOr("BENCH_WARMUP", 3), envOr("BENCH_RUNS", 15));
} catch (wrong) {
  console.error(`tanstack bench: wrong result: ${wrong.message}`);
  process.exit(1);
}
