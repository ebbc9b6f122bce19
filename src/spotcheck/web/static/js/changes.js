// The server's notable changes between two photos of a spot, said in plain words with the
// person's own dates and times: one line naming the two photos, then what changed between them,
// so that a phone screen does not repeat two long dates in every sentence. The server's message
// (in UTC, with colour-science units) is the fallback when a photo is no longer listed.

import { distinctShortDates, verdict } from "./format.js";

function sizeWords(/** @type {number} */ ratio) {
  if (ratio >= 1.75) return `about ${Math.round(ratio * 2) / 2} times as large`;
  if (ratio >= 1) return `about ${Math.round((ratio - 1) * 100 / 10) * 10 || 10} in 100 larger`;
  if (ratio >= 0.6) return "about two thirds of the size";
  if (ratio >= 0.4) return "about half the size";
  return "less than half the size";
}

/** What changed, in a sentence that leaves the two photos' dates to its group's line. */
function changeSentence(
  /** @type {import("./api.js").Change} */ change,
  /** @type {import("./api.js").TimelineEntry | undefined} */ before,
  /** @type {import("./api.js").TimelineEntry | undefined} */ after,
) {
  if (change.kind === "size") {
    const a = before?.measures?.areaFraction;
    const b = after?.measures?.areaFraction;
    if (a === undefined || b === undefined || !(a > 0 && b > 0)) return "The spot's size looked different.";
    return (
      `The spot looked ${b > a ? "larger" : "smaller"} in the later photo (${sizeWords(b / a)}). ` +
      "Distance and zoom change this too, so compare the two photos yourself."
    );
  }
  if (change.kind === "colour") {
    return "The spot's colour changed noticeably. Light changes colours too, so compare the two photos yourself.";
  }
  const [was, is] = [before?.classification, after?.classification];
  if (was && is && was !== is) {
    const words = `SpotCheck's answer went from "${verdict(was).toLowerCase()}" to "${verdict(is).toLowerCase()}".`;
    return is === "BENIGN" ? `${words} A new photo can change the answer, so the earlier result still counts.` : words;
  }
  return "SpotCheck's estimate moved noticeably, though its answer stayed the same.";
}

/**
 * @typedef {{ lead: string | null, sentences: string[] }} ChangeGroup
 * A pair of photos ("Between the photo of … and the photo of …:") and what changed between them;
 * lead null: the server's own sentences, for changes whose photos are not listed.
 */

/** The changes grouped by their pair of photos, in the server's order; `images` are the spot's photos (oldest first). */
export function changeGroups(/** @type {import("./api.js").Change[]} */ changes, /** @type {import("./api.js").TimelineEntry[]} */ images, now = new Date()) {
  /** @type {Map<string, ChangeGroup>} */
  const groups = new Map();
  for (const change of changes) {
    const before = images.find((image) => image.fileName === change.from);
    const after = images.find((image) => image.fileName === change.to);
    const beforeAt = change.fromUploadedAt ?? before?.uploadedAt;
    const afterAt = change.toUploadedAt ?? after?.uploadedAt;
    if (!beforeAt || !afterAt) {
      groups.set(`message ${groups.size}`, { lead: null, sentences: [change.message] });
      continue;
    }
    const key = `${change.from} ${change.to}`;
    if (!groups.has(key)) {
      const [earlier, later] = distinctShortDates([beforeAt, afterAt], now);
      groups.set(key, { lead: `Between the photo of ${earlier} and the photo of ${later}:`, sentences: [] });
    }
    groups.get(key)?.sentences.push(changeSentence(change, before, after));
  }
  return [...groups.values()];
}
