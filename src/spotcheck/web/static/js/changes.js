// The server's notable changes between two photos of a spot, said in plain words with the
// person's own dates and times (the server's message, in UTC and with colour-science units, is
// the fallback when a photo is no longer listed).

import { verdict } from "./format.js";

const minutes = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
const seconds = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "medium" });

/** Two dates in words that tell them apart (with seconds when they share the minute). */
function twoDates(/** @type {string} */ first, /** @type {string} */ second) {
  const [a, b] = [new Date(first), new Date(second)];
  return minutes.format(a) === minutes.format(b) ? [seconds.format(a), seconds.format(b)] : [minutes.format(a), minutes.format(b)];
}

function sizeWords(/** @type {number} */ ratio) {
  if (ratio >= 1.75) return `about ${Math.round(ratio * 2) / 2} times as large`;
  if (ratio >= 1) return `about ${Math.round((ratio - 1) * 100 / 10) * 10 || 10} in 100 larger`;
  if (ratio >= 0.6) return "about two thirds of the size";
  if (ratio >= 0.4) return "about half the size";
  return "less than half the size";
}

/** One change in plain words; `images` are the spot's photos (oldest first). */
export function changeWords(/** @type {import("./api.js").Change} */ change, /** @type {import("./api.js").TimelineEntry[]} */ images) {
  const before = images.find((image) => image.fileName === change.from);
  const after = images.find((image) => image.fileName === change.to);
  const beforeAt = change.fromUploadedAt ?? before?.uploadedAt;
  const afterAt = change.toUploadedAt ?? after?.uploadedAt;
  if (!beforeAt || !afterAt) return change.message;
  const [then, now] = twoDates(beforeAt, afterAt);
  const between = `between the photo of ${then} and the photo of ${now}`;
  if (change.kind === "size") {
    const a = before?.measures?.areaFraction;
    const b = after?.measures?.areaFraction;
    if (a === undefined || b === undefined || !(a > 0 && b > 0)) return `The spot's size looked different ${between}.`;
    const grew = b > a;
    return (
      `The spot looked ${grew ? "larger" : "smaller"} in the photo of ${now} than in the photo of ${then} ` +
      `(${sizeWords(b / a)}). Distance and zoom change this too, so compare the two photos yourself.`
    );
  }
  if (change.kind === "colour") {
    return `The spot's colour changed noticeably ${between}. Light changes colours too, so compare the two photos yourself.`;
  }
  const [was, is] = [before?.classification, after?.classification];
  if (was && is && was !== is) {
    const words = `SpotCheck's answer went from "${verdict(was).toLowerCase()}" to "${verdict(is).toLowerCase()}" ${between}.`;
    return is === "BENIGN" ? `${words} A new photo can change the answer, so the earlier result still counts.` : words;
  }
  return `SpotCheck's estimate moved noticeably ${between}, though its answer stayed the same.`;
}
