// The signed-in screens and their addresses: /app/check, /app/result/<fileName>, /app/spots,
// /app/spots/<id>, /app/account. The server answers every /app/ address with this page, so back,
// reload and bookmarks work; links inside the page change the address without a reload.

const segment = (name) => encodeURIComponent(name);

export const screenPaths = {
  check: (spotId = null) => (spotId ? `/app/check?spot=${segment(spotId)}` : "/app/check"),
  result: (fileName) => `/app/result/${segment(fileName)}`,
  spots: () => "/app/spots",
  spot: (spotId) => `/app/spots/${segment(spotId)}`,
  account: () => "/app/account",
};

/** {screen, param, spotId} for an address; the check screen for / and anything unknown. */
export function parseRoute(pathname = location.pathname, search = location.search) {
  const spotId = new URLSearchParams(search).get("spot");
  const match = /^\/app\/(check|result|spots|account)(?:\/([^/]+))?\/?$/.exec(pathname);
  if (!match) return { screen: "check", param: null, spotId };
  const [, name, raw] = match;
  const param = raw ? decodeURIComponent(raw) : null;
  if (name === "spots" && param) return { screen: "spot", param, spotId };
  if (name === "result" && !param) return { screen: "check", param: null, spotId };
  return { screen: name, param, spotId };
}

let onRoute = () => {};

/** Call `callback(route)` whenever the address changes (a link, back or forward). */
export function whenRouted(callback) {
  onRoute = callback;
}

/** Go to `path` in the page; `replace` keeps the browser's history as it is. */
export function navigate(path, { replace = false } = {}) {
  if (path !== location.pathname + location.search) {
    if (replace) window.history.replaceState(null, "", path);
    else window.history.pushState(null, "", path);
  }
  onRoute(parseRoute());
}

/** Show the sections of `screen` (data-screen), mark its tab in the navigation. */
export function showScreen(screen) {
  for (const section of document.querySelectorAll("[data-screen]")) {
    section.hidden = section.dataset.screen !== screen;
  }
  const tab = screen === "spot" ? "spots" : screen === "result" ? "check" : screen;
  for (const link of document.querySelectorAll("[data-screen-link]")) {
    if (link.dataset.screenLink === tab) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
}

window.addEventListener("popstate", () => onRoute(parseRoute()));

// Same-origin links to /app/ addresses stay in the page; modified clicks open tabs as usual.
document.addEventListener("click", (event) => {
  const link = event.target instanceof Element ? event.target.closest("a[href^='/app/']") : null;
  if (!link || event.defaultPrevented || event.button !== 0) return;
  if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey || link.hasAttribute("download")) return;
  event.preventDefault();
  navigate(link.getAttribute("href"));
});
