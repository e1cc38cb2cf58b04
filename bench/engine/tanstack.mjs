// The cache-engine workload of benches/engine/workload.rs, step by step, on
// @tanstack/query-core (queries, invalidation, observers) and on
// @reduxjs/toolkit's createEntityAdapter (the entity upserts: TanStack Query
// has no normalized store). Prints one JSON line per case (side "tanstack");
// a wrong count exits non-zero instead of printing a figure.
//
// TanStack Query has no normalized store, so the user-list cases are what an
// app on it writes by hand: a renamed user replaced in every cached list by
// setQueriesData, a created user placed into every cached list it belongs to
// by the same filter and order as the server (as setQueriesData does, with
// the list's query key at hand for its filter).
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
const LARGE_QUERIES = 100_000;
const SCOPES = 100;
const INVALIDATED_SCOPE = 42;
const HOLDING_LISTS = 1_000;
const TEAM = 50;
const NEW_NAME = "User 0 Renamed";
const PLACED_LISTS = 100;
const SEEDED = 2_000;
const CREATED = 1_000;

environmentManager.setIsServer(() => false);
notifyManager.setScheduler((run) => run());

const keys = Array.from({ length: QUERIES }, (_, i) =>
  i % 2 === 0 ? ["users", "list", i] : ["posts", i],
);
const data = Array.from({ length: QUERIES }, (_, i) => ({ id: i, title: `item ${i}` }));

const scope = (n) => `scope${String(n).padStart(2, "0")}`;
const largeKeys = Array.from({ length: LARGE_QUERIES }, (_, i) => [scope(i % SCOPES), "item", i]);
const largeData = Array.from({ length: LARGE_QUERIES }, (_, i) => ({ id: i, title: `item ${i}` }));

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

// The user lists of benches/engine/lists.rs, built the same way.
const FIRST_NAMES = [
  "Ada", "Alan", "Barbara", "Claude", "Donald", "Edsger", "Frances", "Grace", "Hedy", "Ivan",
  "John", "Ken", "Linus", "Margaret", "Niklaus", "Radia", "Shafi", "Tim", "Vint", "Whitfield",
];
const LAST_NAMES = [
  "Allen", "Backus", "Cerf", "Dijkstra", "Engelbart", "Floyd", "Goldwasser", "Hamilton",
  "Hopper", "Kahn", "Knuth", "Lamarr", "Liskov", "Lovelace", "McCarthy", "Perlman", "Ritchie",
  "Sutherland", "Thompson", "Turing", "Wirth",
];
const DOMAINS = ["example.com", "example.org", "example.net"];
const SORTS = ["name", "email", "role", "createdAt", "lastActive"];

// User i of place_created: name, email domain and role drawn from a
// multiplicative hash of i; created and last active i minutes after the epoch.
function person(i) {
  const h = Math.imul(i, 2654435761) >>> 0;
  const pick = (shift, list) => list[((h >>> shift) & 0xff) % list.length];
  const [first, last, domain] = [pick(24, FIRST_NAMES), pick(16, LAST_NAMES), pick(8, DOMAINS)];
  const at = new Date(i * 60_000).toISOString();
  return {
    ...users[i],
    name: `${first} ${last}`,
    email: `${first.toLowerCase()}.${last.toLowerCase()}${i}@${domain}`,
    role: pick(4, roles),
    lastActive: at,
    createdAt: at,
    updatedAt: at,
  };
}

// UserFilter::matches and UserFilter::compare (ASCII text, byte order; ties
// break on id in the same direction).
function matches(filter, user) {
  if (filter.role !== null && filter.role !== user.role) return false;
  const needle = filter.search?.trim().toLowerCase();
  if (!needle) return true;
  return user.name.toLowerCase().includes(needle) || user.email.toLowerCase().includes(needle);
}
function compare(filter, a, b) {
  const [x, y] = [a[filter.sort], b[filter.sort]];
  const ordering = x < y ? -1 : x > y ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
  return filter.order === "asc" ? ordering : -ordering;
}
const pagination = (page, limit, total) => ({
  page,
  limit,
  total,
  hasNextPage: page * limit < total,
  hasPreviousPage: page > 1,
});
// Page 1 of `query` over `all` by the server's rule.
function firstPage({ filter, limit }, all) {
  const listed = all.filter((u) => matches(filter, u)).sort((a, b) => compare(filter, a, b));
  return { data: listed.slice(0, limit), pagination: pagination(1, limit, listed.length) };
}
const listQuery = (filter, limit) => ({
  filter: { search: null, role: null, active: null, ...filter },
  page: 1,
  limit,
});
const holdingQuery = (n) =>
  listQuery(
    {
      sort: SORTS[n % 5],
      order: ["asc", "desc"][Math.floor(n / 5) % 2],
      role: [null, "admin"][Math.floor(n / 10) % 2],
    },
    50 + Math.floor(n / 20),
  );
const placingQuery = (n) =>
  listQuery(
    {
      sort: ["name", "email", "createdAt"][n % 3],
      order: ["asc", "desc"][Math.floor(n / 3) % 2],
      role: [null, "admin", "moderator", "user"][Math.floor(n / 6) % 4],
      search: [null, "an", "li", "son", "example.org"][Math.floor(n / 24) % 5],
    },
    [10, 20, 25, 50][n % 4],
  );

const team = users.slice(0, TEAM);
const holding = Array.from({ length: HOLDING_LISTS }, (_, n) => {
  const query = holdingQuery(n);
  return { key: ["users", "list", query], data: firstPage(query, team) };
});
const holdingRows = holding.reduce((sum, l) => sum + l.data.data.length, 0);
const renamed = {
  ...users[0],
  name: NEW_NAME,
  updatedAt: new Date(86_400_000).toISOString(),
  version: 2,
};
const seeded = Array.from({ length: SEEDED }, (_, i) => person(i));
const everyone = Array.from({ length: SEEDED + CREATED }, (_, i) => person(i));
const created = everyone.slice(SEEDED);
const placing = Array.from({ length: PLACED_LISTS }, (_, n) => {
  const query = placingQuery(n);
  return { key: ["users", "list", query], data: firstPage(query, seeded) };
});
const placed = Array.from({ length: PLACED_LISTS }, (_, n) => firstPage(placingQuery(n), everyone));

// A created user in a cached first page: at its place if it belongs to the
// list, the page cut to its size, the total one more. `undefined` (nothing
// written) when it does not belong.
function withCreated(old, { filter, limit }, user) {
  if (old === undefined || !matches(filter, user)) return undefined;
  const rows = old.data;
  let at = rows.findIndex((row) => compare(filter, user, row) < 0);
  if (at === -1) at = rows.length;
  const total = old.pagination.total + 1;
  const data = at < limit ? [...rows.slice(0, at), user, ...rows.slice(at, limit - 1)] : rows;
  return { data, pagination: pagination(old.pagination.page, limit, total) };
}

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

// `set_100k` then `invalidate_1k` on one fresh client.
function large() {
  const client = new QueryClient();
  const cache = client.getQueryCache();
  const [, set] = timed(() => {
    for (let i = 0; i < LARGE_QUERIES; i++) client.setQueryData(largeKeys[i], largeData[i]);
  });
  check("set_100k", "cached queries", cache.getAll().length, LARGE_QUERIES);
  const withData = cache.getAll().filter((q) => q.state.data !== undefined).length;
  check("set_100k", "queries with data", withData, LARGE_QUERIES);

  const prefix = scope(INVALIDATED_SCOPE);
  const [pending, invalidate] = timed(() =>
    client.invalidateQueries({ queryKey: [prefix], refetchType: "none" }),
  );
  check("invalidate_1k", "fetching queries", client.isFetching(), 0);
  const stale = cache.getAll().filter((q) => q.state.isInvalidated).length;
  check("invalidate_1k", "invalidated queries", stale, LARGE_QUERIES / SCOPES);
  const wrong = cache
    .getAll()
    .filter((q) => q.state.isInvalidated !== (q.queryKey[0] === prefix)).length;
  check("invalidate_1k", "queries marked wrongly", wrong, 0);
  client.clear();
  return [pending, [["set_100k", set], ["invalidate_1k", invalidate]]];
}

// A fresh client holding `lists`.
function cached(lists) {
  const client = new QueryClient();
  for (const { key, data } of lists) client.setQueryData(key, data);
  return client;
}
const invalidated = (client) =>
  client.getQueryCache().getAll().filter((q) => q.state.isInvalidated).length;

// `entity_update` then `entity_read` on one fresh client.
function holdingCase() {
  const client = cached(holding);
  const [, update] = timed(() =>
    client.setQueriesData({ queryKey: ["users", "list"] }, (old) =>
      old === undefined
        ? undefined
        : { ...old, data: old.data.map((u) => (u.id === renamed.id ? renamed : u)) },
    ),
  );
  check("entity_update", "fetching queries", client.isFetching(), 0);
  check("entity_update", "lists invalidated", invalidated(client), 0);

  const [[showing, rows], read] = timed(() => {
    let [showing, rows] = [0, 0];
    for (const { key } of holding) {
      for (const u of client.getQueryData(key)?.data ?? []) {
        rows++;
        if (u.id === renamed.id && u.name === NEW_NAME) showing++;
      }
    }
    return [showing, rows];
  });
  check("entity_read", "lists showing the new name", showing, HOLDING_LISTS);
  check("entity_read", "rows shown", rows, holdingRows);
  client.clear();
  return [["entity_update", update], ["entity_read", read]];
}

// `place_created` on one fresh client.
function placingCase() {
  const client = cached(placing);
  const cache = client.getQueryCache();
  const [, place] = timed(() => {
    for (const user of created) {
      notifyManager.batch(() => {
        for (const { queryKey } of cache.findAll({ queryKey: ["users", "list"] })) {
          client.setQueryData(queryKey, (old) => withCreated(old, queryKey[2], user));
        }
      });
    }
  });
  check("place_created", "fetching queries", client.isFetching(), 0);
  check("place_created", "lists invalidated", invalidated(client), 0);
  const wrong = placing.filter(({ key }, n) => {
    const page = client.getQueryData(key);
    const want = placed[n];
    return (
      JSON.stringify(page.pagination) !== JSON.stringify(want.pagination) ||
      page.data.length !== want.data.length ||
      page.data.some((u, i) => u.id !== want.data[i].id)
    );
  }).length;
  check("place_created", "lists unlike the server's first page", wrong, 0);
  client.clear();
  return [["place_created", place]];
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
    const [largePending, largeTimes] = large();
    await largePending;
    times.push(...largeTimes, ...holdingCase(), ...placingCase());
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
