// A result in plain words: what it says, what to do and how soon, then what the number means,
// with the model's own figures for how often it flags harmless spots (GET /model).

import { api } from "./api.js";
import { percent } from "./format.js";

// Photos taken on the page come from phones; the dermatoscopic figure is the fallback.
const KINDS = ["smartphone", "dermatoscopic"];

let facts = null;

/** The model's facts, fetched once per page; null when they cannot be had (the rest still shows). */
export function modelFacts() {
  facts ??= api.model().catch(() => {
    facts = null; // try again next time
    return null;
  });
  return facts;
}

function share(figures) {
  const kind = KINDS.find((name) => typeof figures?.[name] === "number");
  return kind ? figures[kind] : null;
}

const inHundred = (fraction) => `about ${Math.max(1, Math.round(fraction * 100))} in 100`;

/** The plain sentence that comes first. */
export function plainWords(classification) {
  return classification === "MALIGNANT"
    ? "SpotCheck found features it links with skin cancer in this photo. That does not mean it is cancer: many harmless spots are flagged too. But a doctor should look at it."
    : "SpotCheck found nothing in this photo that it links with skin cancer. It can miss things, so keep an eye on the spot.";
}

/** What to do now, and how soon. */
export function nextSteps(classification) {
  return classification === "MALIGNANT"
    ? "See a dermatologist within 2 weeks. Go sooner if the spot bleeds or changes fast."
    : "Check the spot again every month. See a doctor about any change in size, shape or colour, or if it bleeds, itches or hurts.";
}

/** Sentences that say what the estimate means, given GET /model's answer (or null). */
export function meaning(result, model) {
  const sentences = [];
  const flagged = result.classification === "MALIGNANT";
  if (typeof model?.threshold === "number") {
    const limit = percent(model.threshold, "MALIGNANT"); // rounded up, as every flagged estimate is
    sentences.push(
      flagged
        ? `SpotCheck flags every spot from ${limit} up. The limit is set low on purpose, so that it misses as few skin cancers as possible.`
        : `This is under ${limit}, the limit from which SpotCheck flags a spot.`,
    );
  }
  const harmless = share(model?.flaggedHarmlessShare);
  if (flagged && harmless !== null) {
    sentences.push(`Because of that, ${inHundred(harmless)} harmless spots photographed like this are also flagged.`);
  }
  const caught = share(model?.sensitivity);
  if (!flagged && caught !== null && caught < 1) {
    sentences.push(`No check catches everything: in tests, it missed ${inHundred(1 - caught)} skin cancers photographed like this.`);
  }
  return sentences.join(" ");
}
