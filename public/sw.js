// Tidings' service worker: the app shell and the pages already visited,
// for a reload without a network.
//
// - The bundle (content-hashed files under /pkg/, every page's module
//   among them, the stylesheet, the icon) is served from the cache of its
//   build; a new build (the `build`
//   parameter this worker was registered with) starts a new cache and the
//   old ones go.
// - A page is fetched from the network, and its last answer kept; when
//   the network fails, the kept answer is served. Pages show the signed-in
//   user's data: the app deletes them when a page is rendered for nobody
//   (signed out).
// - The API is never touched here: the app's own cache and its outbox of
//   writes handle data.
const BUILD = new URL(self.location.href).searchParams.get("build") || "unknown";
const SHELL = `tidings-shell-${BUILD}`;
const PAGES = "tidings-pages";

self.addEventListener("install", () => self.skipWaiting());

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      for (const key of await caches.keys()) {
        if (key.startsWith("tidings-shell-") && key !== SHELL) await caches.delete(key);
      }
      await self.clients.claim();
    })(),
  );
});

// The page that registered this worker names what it loaded: kept at once,
// so the first visit already works without a network.
self.addEventListener("message", (event) => {
  const { kind, shell, page } = event.data || {};
  if (kind !== "keep") return;
  event.waitUntil(
    (async () => {
      const cache = await caches.open(SHELL);
      const keep = async (url) => {
        if (!(await cache.match(url))) await keepIfOk(cache, url);
      };
      for (const url of shell || []) await keep(url);
      for (const loader of (shell || []).filter(isSplitLoader)) {
        for (const url of await pagesModules(cache, loader)) await keep(url);
      }
      if (page) await keepIfOk(await caches.open(PAGES), page);
    })(),
  );
});

// The bundle's loader of pages' modules (`/pkg/__wasm_split.<hash>.js`):
// a page not yet shown fetches its module the first time it is, so every
// module it names is kept too, and a page opened offline still runs.
function isSplitLoader(url) {
  return /\/pkg\/__wasm_split\.[^/]*\.js$/.test(new URL(url, self.location.origin).pathname);
}

// The loader is read from `cache`, where it was just kept.
async function pagesModules(cache, loader) {
  try {
    const script = await (await cache.match(loader)).text();
    return [...script.matchAll(/new URL\("(\.\/[^"]+\.wasm)"/g)].map(([, file]) => new URL(file, loader).href);
  } catch {
    return [];
  }
}

async function keepIfOk(cache, url) {
  try {
    const response = await fetch(url, { credentials: "same-origin" });
    if (response.ok && !response.redirected) await cache.put(url, response);
  } catch {
    // Offline already: nothing to keep.
  }
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin || url.pathname.startsWith("/api/")) return;
  if (request.mode === "navigate") {
    event.respondWith(pageFromNetworkFirst(request));
  } else if (isShell(url)) {
    event.respondWith(shellFromCacheFirst(request));
  }
});

function isShell(url) {
  return url.pathname.startsWith("/pkg/") || url.pathname === "/favicon.svg";
}

async function pageFromNetworkFirst(request) {
  const cache = await caches.open(PAGES);
  try {
    const response = await fetch(request);
    const html = (response.headers.get("content-type") || "").includes("text/html");
    if (response.ok && !response.redirected && html) await cache.put(request.url, response.clone());
    return response;
  } catch (error) {
    const kept = await cache.match(request.url, { ignoreVary: true });
    if (kept) return kept;
    throw error;
  }
}

async function shellFromCacheFirst(request) {
  const cache = await caches.open(SHELL);
  const kept = await cache.match(request, { ignoreVary: true });
  if (kept) return kept;
  const response = await fetch(request);
  if (response.ok) await cache.put(request, response.clone());
  return response;
}
