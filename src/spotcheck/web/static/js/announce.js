// The page's live region: every status change a sighted user sees is also spoken.

const region = () => document.getElementById("status");

/** Show and announce a short status line; tone is "info", "success" or "error". */
export function announce(message, tone = "info") {
  const el = region();
  el.dataset.tone = tone;
  // Clearing first makes screen readers repeat a message that is the same as the last one.
  el.textContent = "";
  requestAnimationFrame(() => {
    el.textContent = message;
  });
}

export function clearAnnouncement() {
  region().textContent = "";
}
