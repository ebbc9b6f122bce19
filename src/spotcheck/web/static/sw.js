// SpotCheck's service worker: keeps the app shell (the page, its styles, scripts and icons) so
// that the page opens offline and says so. It never stores a photo or an API answer: requests
// other than the shell's own files go to the network untouched.

const CACHE = "spotcheck-shell-v1";
const SHELL = [
  "/",
  "/manifest.webmanifest",
  "/static/app.css",
  "/static/favicon.svg",
  "/static/photo-limits.json",
  "/static/icons/icon-192.png",
  "/static/icons/icon-512.png",
  ...[
    "account", "announce", "answers", "api", "auth", "bodymap", "camera", "changes", "confirm",
    "downscale", "explain", "fields", "format", "history", "main", "offline", "page", "photocheck",
    "polling", "reminders", "result", "router", "spot-view", "spots", "timeline", "upload", "zoom",
  ].map((name) => `/static/js/${name}.js`),
];
const SHELL_PATHS = new Set(SHELL);

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL.map((path) => new Request(path, { credentials: "omit" })))));
  self.skipWaiting();
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((names) => Promise.all(names.filter((name) => name !== CACHE).map((name) => caches.delete(name))))
      .then(() => self.clients.claim()),
  );
});

/** The network first (so an upgrade shows at once), the kept copy when there is no network. */
async function shellFirstFromNetwork(request, cacheKey) {
  try {
    return await fetch(request);
  } catch (error) {
    const kept = await caches.match(cacheKey);
    if (kept) return kept;
    throw error;
  }
}

self.addEventListener("fetch", (event) => {
  const { request } = event;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate" && (url.pathname === "/" || url.pathname.startsWith("/app/"))) {
    event.respondWith(shellFirstFromNetwork(request, "/"));
  } else if (SHELL_PATHS.has(url.pathname) && url.search === "") {
    event.respondWith(shellFirstFromNetwork(request, url.pathname));
  }
});
