// The signed-in screens and their addresses: /app/check, /app/result/<fileName>, /app/spots,
// /app/spots/<id>, /app/account. The server answers every /app/ address with this page, so back,
// reload and bookmarks work; links inside the page change the address without a reload.

const segment = (/** @type {string} */ name) => encodeURIComponent(name);

/**
 * @typedef {"check" | "result" | "spots" | "spot" | "account"} Screen
 * @typedef {{ screen: Screen, param: string | null, spotId: string | null }} Route
 */

export const screenPaths = {
  check: (/** @type {string | null} */ spotId = null) => (spotId ? `/app/check?spot=${segment(spotId)}` : "/app/check"),
  result: (/** @type {string} */ fileName) => `/app/result/${segment(fileName)}`,
  spots: () => "/app/spots",
  spot: (/** @type {string} */ spotId) => `/app/spots/${segment(spotId)}`,
  account: () => "/app/account",
};

/** {screen, param, spotId} for an address; the check screen for / and anything unknown.
 *  @returns {Route} */
export function parseRoute(pathname = location.pathname, search = location.search) {
  const spotId = new URLSearchParams(search).get("spot");
  const match = /^\/app\/(check|result|spots|account)(?:\/([^/]+))?\/?$/.exec(pathname);
  if (!match) return { screen: "check", param: null, spotId };
  const [, found, raw] = match;
  const name = /** @type {"check" | "result" | "spots" | "account"} */ (found);
  const param = raw ? decodeURIComponent(raw) : null;
  if (name === "spots" && param) return { screen: "spot", param, spotId };
  if (name === "result" && !param) return { screen: "check", param: null, spotId };
  return { screen: name, param, spotId };
}

/** @type {(route: Route) => void} */
let onRoute = () => {};

/** Call `callback(route)` whenever the address changes (a link, back or forward). */
export function whenRouted(/** @type {(route: Route) => void} */ callback) {
  onRoute = callback;
}

/** Go to `path` in the page; `replace` keeps the browser's history as it is. */
export function navigate(/** @type {string} */ path, { replace = false } = {}) {
  if (path !== location.pathname + location.search) {
    if (replace) window.history.replaceState(null, "", path);
    else window.history.pushState(null, "", path);
  }
  onRoute(parseRoute());
}

/** Show the sections of `screen` (data-screen), mark its tab in the navigation. */
export function showScreen(/** @type {Screen} */ screen) {
  for (const section of document.querySelectorAll("[data-screen]")) {
    if (!(section instanceof HTMLElement)) continue;
    section.hidden = section.dataset.screen !== screen;
  }
  const tab = screen === "spot" ? "spots" : screen === "result" ? "check" : screen;
  for (const link of document.querySelectorAll("[data-screen-link]")) {
    if (!(link instanceof HTMLElement)) continue;
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
  navigate(link.getAttribute("href") ?? "/app/check");
});
