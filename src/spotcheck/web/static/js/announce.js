// The page's live region: every status change a sighted user sees is also spoken.

const region = () => document.getElementById("status");

const SHOWN_MS = { info: 6000, success: 6000, error: 12000 };
let fading = null;

/** Show and announce a short status line; tone is "info", "success" or "error". It slides away
 *  after a few seconds, so that it does not cover the screen (its text stays for assistive tools). */
export function announce(message, tone = "info") {
  const el = region();
  el.dataset.tone = tone;
  delete el.dataset.faded;
  clearTimeout(fading);
  // Clearing first makes screen readers repeat a message that is the same as the last one.
  el.textContent = "";
  requestAnimationFrame(() => {
    el.textContent = message;
  });
  fading = setTimeout(() => {
    el.dataset.faded = "true";
  }, SHOWN_MS[tone] ?? SHOWN_MS.info);
}

export function clearAnnouncement() {
  region().textContent = "";
}
