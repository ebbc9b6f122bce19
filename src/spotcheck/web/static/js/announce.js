// The page's live region: every status change a sighted user sees is also spoken.

const region = () => {
  const element = document.getElementById("status");
  if (!element) throw new Error("The page has no status line.");
  return element;
};

/** @typedef {"info" | "success" | "error"} Tone */
const SHOWN_MS = { info: 6000, success: 6000, error: 12000 };
/** @type {ReturnType<typeof setTimeout> | undefined} */
let fading;

/** Show and announce a short status line; tone is "info", "success" or "error". It slides away
 *  after a few seconds, so that it does not cover the screen (its text stays for assistive tools). */
export function announce(/** @type {string} */ message, /** @type {Tone} */ tone = "info") {
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
  }, SHOWN_MS[tone]);
}

export function clearAnnouncement() {
  region().textContent = "";
}
