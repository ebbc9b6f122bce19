// A result in plain words: the next step for each outcome, and what SpotCheck's answer is worth,
// as natural frequencies from the model's own test figures (GET /model). Never a percentage as
// "the chance of cancer": the estimate is a score with a threshold, not a probability of disease.

import { api } from "./api.js";

// Photos taken on the page come from phones; the dermatoscopic figure is the fallback.
const KINDS = ["smartphone", "dermatoscopic"];

/** @type {Promise<import("./api.js").ModelFacts | null> | null} */
let facts = null;

/** The model's facts, fetched once per page; null when they cannot be had (the rest still shows). */
export function modelFacts() {
  facts ??= api.model().catch(() => {
    facts = null; // try again next time
    return null;
  });
  return facts;
}

function figure(/** @type {Record<string, number> | undefined} */ figures) {
  const kind = KINDS.find((name) => typeof figures?.[name] === "number");
  return kind && figures ? figures[kind] : null;
}

const ofHundred = (/** @type {number} */ fraction) => Math.min(100, Math.max(0, Math.round(fraction * 100)));

/** The plain sentence under "More about this result". */
export function plainWords(/** @type {string | null} */ classification) {
  return classification === "MALIGNANT"
    ? "SpotCheck found features it links with skin cancer in this photo. That does not mean it is cancer: many harmless spots are flagged too. But a doctor should look at it."
    : "SpotCheck found nothing in this photo that it links with skin cancer. It can miss things, so keep an eye on the spot.";
}

/**
 * The one next step for a classification: {heading, text}. Flagged: a dermatologist within 2
 * weeks (the spot's reminder says the same); benign: look again in a month and show it at the
 * next check-up. Both agree with the fixed recommendation texts, which ask for a dermatologist.
 */
export function nextStep(/** @type {string | null} */ classification) {
  return classification === "MALIGNANT"
    ? {
        heading: "See a dermatologist within 2 weeks",
        text: "Book an appointment and show them this spot. Go sooner if it bleeds or changes quickly.",
      }
    : {
        heading: "Look at it again in a month",
        text: "Show it to a dermatologist at your next check-up, or sooner if it changes in size, shape or colour, or bleeds, itches or hurts.",
      };
}

/**
 * The sentence beside "where SpotCheck looked". The map is scaled to its own brightest part, so
 * even a spot judged likely benign shows one: that answer says so, lest it read as a finding.
 */
export function whereItLooked(/** @type {string | null} */ classification) {
  const weighed = "The brighter parts of the photo weighed most in SpotCheck's estimate";
  const not = "This is not a diagnosis and not an outline of the spot.";
  return classification === "MALIGNANT"
    ? `${weighed}. ${not}`
    : `${weighed}, but not enough to flag the spot: every photo has a brightest part. ${not}`;
}

/** How often the model is right, in natural frequencies, given GET /model's answer (or null). */
export function meaning(/** @type {import("./api.js").ModelFacts | null} */ model) {
  const caught = figure(model?.sensitivity);
  const harmless = figure(model?.flaggedHarmlessShare);
  if (caught === null && harmless === null) return "";
  const sentences = [];
  if (caught !== null && harmless !== null) {
    sentences.push(
      `In SpotCheck's tests, of 100 skin cancers photographed like this, it flagged about ${ofHundred(caught)}; ` +
        `of 100 harmless spots, it flagged about ${ofHundred(harmless)}.`,
    );
  } else if (caught !== null) {
    sentences.push(`In SpotCheck's tests, of 100 skin cancers photographed like this, it flagged about ${ofHundred(caught)}.`);
  } else if (harmless !== null) {
    sentences.push(`In SpotCheck's tests, of 100 harmless spots photographed like this, it flagged about ${ofHundred(harmless)}.`);
  }
  sentences.push(
    "So a flagged spot is often harmless, and SpotCheck can miss a cancer: a dermatologist has the last word.",
  );
  return sentences.join(" ");
}
