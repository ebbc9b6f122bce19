// When to ask again for a result that is still being analysed. A label is often ready a fraction
// of a second after the upload, so the first look is quick; later looks back off up to the
// server's Retry-After (it knows its queue), and to MAX_MS when it sends none.

export const FIRST_MS = 200;
const FACTOR = 1.6;
const MAX_MS = 2000;

/** Milliseconds to wait before look number `attempt` (0 = the first look after the upload). */
export function pollDelay(/** @type {number} */ attempt, /** @type {number | null} */ retryAfter = null) {
  const backoff = Math.min(MAX_MS, FIRST_MS * FACTOR ** attempt);
  return retryAfter === null ? backoff : Math.min(backoff, Math.max(FIRST_MS, retryAfter));
}
