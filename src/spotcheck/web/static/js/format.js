// Words a layperson can read for the numbers and labels the API returns.

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

export function formatDate(/** @type {string} */ iso) {
  return dateFormat.format(new Date(iso));
}

// For narrow places (a menu, a line that names two photos): this year's dates leave the year out;
// the seconds only where two photos would otherwise read the same.
/** @type {Intl.DateTimeFormatOptions} */
const THIS_YEAR = { month: "short", day: "numeric", hour: "numeric", minute: "2-digit" };
const SHORT = {
  thisYear: new Intl.DateTimeFormat(undefined, THIS_YEAR),
  otherYear: new Intl.DateTimeFormat(undefined, { dateStyle: "short", timeStyle: "short" }),
};
const SHORT_WITH_SECONDS = {
  thisYear: new Intl.DateTimeFormat(undefined, { ...THIS_YEAR, second: "2-digit" }),
  otherYear: new Intl.DateTimeFormat(undefined, { dateStyle: "short", timeStyle: "medium" }),
};

export function formatShortDate(/** @type {string} */ iso, now = new Date(), seconds = false) {
  const date = new Date(iso);
  const formats = seconds ? SHORT_WITH_SECONDS : SHORT;
  return (date.getFullYear() === now.getFullYear() ? formats.thisYear : formats.otherYear).format(date);
}

/** Short dates for `isos` that tell them apart: with seconds for those that share a minute. */
export function distinctShortDates(/** @type {string[]} */ isos, now = new Date()) {
  const plain = isos.map((iso) => formatShortDate(iso, now));
  return plain.map((text, i) => (plain.indexOf(text) === plain.lastIndexOf(text) ? text : formatShortDate(isos[i], now, true)));
}

export const CAVEAT =
  "This is a computer model's estimate from one photo. It can be wrong in either direction, " +
  "and lighting, focus and angle change it.";

/** The label a photo the gate refused has instead of a verdict: it was not judged, not found benign. */
export const REFUSED = "Photo not usable";

// Short words for the API's reason codes; the API's own message covers a reason added later.
/** @type {Record<string, string>} */
const REASONS = {
  "not-a-lesion": "No skin spot found",
  blurry: "Too blurry",
  "too-dark": "Too dark",
  "too-bright": "Too bright",
  "too-small": "Too small to judge",
};

/** A few words for why a photo was refused: {reason, message} from the API. */
export function refusalReason(/** @type {import("./api.js").Refusal | null} */ refusal) {
  return (refusal && REASONS[refusal.reason]) ?? refusal?.message ?? "";
}

/** A short, careful heading for a classification. */
export function verdict(/** @type {string | null} */ classification) {
  return classification === "MALIGNANT" ? "May need a closer look" : "Likely benign";
}

export function formatSize(/** @type {number} */ bytes) {
  if (bytes < 1_000_000) return `${Math.max(1, Math.round(bytes / 1000))} KB`;
  return `${(bytes / 1_000_000).toFixed(1)} MB`;
}

// The two fixed recommendation texts, word for word as the API gives them (GET /detect); lists and
// the read-only share view show them beside a photo without asking /detect for each.
/** @type {Record<string, string>} */
export const RECOMMENDATIONS = {
  MALIGNANT:
    "Our analysis suggests that this lesion may require further examination. " +
    "We strongly recommend consulting a dermatologist for a professional evaluation.",
  BENIGN:
    "Our analysis suggests that this lesion is likely benign. " +
    "However, we recommend consulting a dermatologist to confirm and ensure your health and safety.",
};

/** [label, state] for an image as GET /images lists it: pending, failed, refused or its verdict. */
/** @returns {[string, string]} */
export function labelFor(/** @type {import("./api.js").ImageItem} */ item) {
  if (item.status === "pending") return ["Analysing…", "pending"];
  if (item.status === "failed") return ["Could not be analysed", "failed"];
  if (item.status === "refused") return [REFUSED, "refused"];
  return [verdict(item.classification), item.classification ?? ""];
}

// A spot's summary level (GET /spots) in a few words; the API's message says the rest.
/** @type {Record<string, string>} */
const LEVEL_WORDS = {
  worrying: "Needs a closer look",
  reassuring: "No warning signs found",
  unusable: "Photo not usable",
  pending: "Analysing…",
  none: "No photos yet",
};

export function levelWords(/** @type {string | undefined} */ level) {
  return (level && LEVEL_WORDS[level]) ?? "";
}
