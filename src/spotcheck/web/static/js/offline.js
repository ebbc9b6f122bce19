// Offline: the service worker (/sw.js) keeps the page's own files so that it opens without a
// connection, and this module then says so plainly instead of showing a broken page.

import { $ } from "./page.js";

/** Show "You are offline" in place of everything else. */
export function showOffline() {
  $("loading").hidden = true;
  $("auth-view").hidden = true;
  $("app-view").hidden = true;
  $("offline-view").hidden = false;
  $("offline-heading").focus();
}

export function registerServiceWorker() {
  if (!("serviceWorker" in navigator)) return;
  // A failed registration (a private window, say) leaves a page that works online as before.
  navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(() => {});
}
