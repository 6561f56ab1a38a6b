// Rollcall's service worker: keeps the pages that must work with no network (the late door,
// the fire register, the home visitor's /visits) and the app's code in the browser's cache, so
// they open offline after a first visit.
//
// Everything is network first: a page or file comes from the server when it answers within a
// few seconds (and the cached copy is refreshed), from the cache otherwise. The app's files
// keep their names from build to build, so serving them from the cache while the network
// works could pair a new page with old code. The API is never cached: the pages sync through
// their own outbox (docs/sync.md).

const CACHE = "rollcall-offline-v1";
const OFFLINE_PAGES = ["/late-door", "/fire-register", "/visits"];
const APP_FILES = [
  "/pkg/rollcall.js",
  "/pkg/rollcall.wasm",
  "/pkg/rollcall.css",
  "/manifest.webmanifest",
  "/icons/rollcall.svg",
];
// Poor Wi-Fi at the school gate: past this, the cached copy is better than waiting.
const NETWORK_WAIT_MS = 4000;

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches
      .open(CACHE)
      // One by one, so a page that cannot be fetched now (signed out) does not stop the rest.
      .then((cache) =>
        Promise.all(
          [...OFFLINE_PAGES, ...APP_FILES].map((path) =>
            fetch(path, { credentials: "same-origin" })
              .then((response) => (keepable(response) ? cache.put(path, response) : undefined))
              .catch(() => undefined),
          ),
        ),
      )
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((names) => Promise.all(names.filter((name) => name !== CACHE).map((name) => caches.delete(name))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  const key = cacheKey(url);
  if (!key) return;
  event.respondWith(networkFirst(request, key));
});

/** The cache entry for a request, or null when it is not kept offline. */
function cacheKey(url) {
  if (OFFLINE_PAGES.includes(url.pathname)) return url.pathname;
  if (APP_FILES.includes(url.pathname)) return url.pathname;
  return null;
}

/** Only whole, successful answers that were not a redirect (to the sign-in page, say). */
function keepable(response) {
  return response && response.ok && !response.redirected && response.type === "basic";
}

async function networkFirst(request, key) {
  const cache = await caches.open(CACHE);
  const network = fetch(request).then((response) => {
    if (keepable(response)) cache.put(key, response.clone());
    return response;
  });
  const timeout = new Promise((resolve) => setTimeout(resolve, NETWORK_WAIT_MS, null));
  try {
    const response = await Promise.race([network, timeout]);
    if (response) return response;
  } catch (_) {
    // No network: the cache answers below.
  }
  const cached = await cache.match(key);
  if (cached) return cached;
  // Nothing cached yet: wait for the network after all.
  return network;
}
