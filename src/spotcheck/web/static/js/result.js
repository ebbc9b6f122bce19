// The result screen: follows an image from "analysing" to its verdict and next step without a
// reload; right after a spot's photo, the questions about the spot; where the model looked, when
// the server can show it.

import { api, ApiError, retryAfterMs } from "./api.js";
import { announce } from "./announce.js";
import { answersForm } from "./answers.js";
import { meaning, modelFacts, nextStep, plainWords, whereItLooked } from "./explain.js";
import { CAVEAT, formatDate, REFUSED, verdict } from "./format.js";
import { FIRST_MS, pollDelay } from "./polling.js";
import { $, messageOf, sessionEnded } from "./page.js";
import { screenPaths } from "./router.js";

/**
 * @typedef {import("./api.js").DetectionResult} DetectionResult
 * @typedef {import("./api.js").DetectionRefused} DetectionRefused
 * @typedef {import("./api.js").ModelFacts} ModelFacts
 */

const GIVE_UP_MS = 3 * 60 * 1000;
const NETWORK_RETRIES = 5;

const sleep = (/** @type {number} */ ms) => new Promise((resolve) => setTimeout(resolve, ms));

function setText(/** @type {string} */ id, /** @type {string | null | undefined} */ text) {
  const el = $(id);
  el.textContent = text ?? "";
  el.hidden = !text;
}

function showState(/** @type {string} */ label, /** @type {string} */ state) {
  const pill = $("result-state");
  pill.textContent = label;
  pill.dataset.state = state;
}

const PARTS = ["result-next", "result-more", "result-plain", "result-number", "result-signs", "result-retry", "result-new-photo", "result-spot", "result-answers", "heatmap-box"];

function clearDetails() {
  for (const id of ["result-verdict", "result-recommendation", "result-tip", "result-caveat"]) setText(id, "");
  for (const id of PARTS) $(id).hidden = true;
  $("result-verdict").classList.remove("is-message");
  $("result-answers").replaceChildren();
  $("result-more", HTMLDetailsElement).open = false;
}

function showNext(/** @type {{ heading: string, text: string }} */ { heading, text }) {
  $("result-next-heading").textContent = heading;
  $("result-next-text").textContent = text;
  $("result-next").hidden = false;
}

/**
 * Where the score starts to flag: the threshold the label was judged at, where the label records it;
 * else, for a label of the model now serving, its thresholds (a dermatoscopic route has its own);
 * else nothing, as another model's thresholds would not fit the score.
 */
function flaggedFrom(/** @type {DetectionResult} */ result, /** @type {ModelFacts | null} */ model) {
  if (typeof result.threshold === "number") return `flagged from ${result.threshold.toFixed(4)}`;
  if (model?.version !== result.modelVersion || typeof model.threshold !== "number") return null;
  const common = `flagged from ${model.threshold.toFixed(4)}`;
  const dermatoscopic = model.dermatoscopicThreshold;
  return typeof dermatoscopic === "number" && dermatoscopic !== model.threshold
    ? `${common}; from ${dermatoscopic.toFixed(4)} for a photo taken through a dermatoscope`
    : common;
}

// First screen: the verdict, the one next step and the fixed recommendation (once). Everything
// else, numbers included, waits under "More about this result".
function render(/** @type {DetectionResult} */ result, /** @type {ModelFacts | null} */ model) {
  clearDetails();
  showState("Analysis complete", result.classification);
  setText("result-verdict", verdict(result.classification));
  showNext(nextStep(result.classification));
  setText("result-recommendation", result.recommendation);
  setText("result-plain", plainWords(result.classification));
  const said = meaning(model);
  $("result-meaning").textContent = said;
  $("result-number").hidden = !said;
  setText("result-caveat", CAVEAT);
  $("result-signs").hidden = false;
  const flagged = flaggedFrom(result, model);
  const score = `Model score: ${result.malignantProbability.toFixed(4)}${flagged ? ` (${flagged})` : ""}.`;
  $("result-meta").textContent = `Analysed ${formatDate(result.classifiedAt)} by model ${result.modelVersion}. ${score}`;
  $("result-more").hidden = false;
}

// A photo the gate refused was not judged: its message and how to retake it, and never a verdict
// or recommendation, whatever else the answer carries.
function renderRefused(/** @type {DetectionRefused} */ result) {
  clearDetails();
  showState(REFUSED, "refused");
  setText("result-verdict", result.message || "SpotCheck cannot judge this photo.");
  $("result-verdict").classList.add("is-message"); // the reason, not a verdict: in plain type
  showNext({
    heading: "Take a new photo",
    text: result.tip || "One spot in the middle of the picture, about 10 cm away, in daylight without flash, held still.",
  });
  setText("result-caveat", "SpotCheck gives no result for a photo it cannot judge. Take a new photo of the spot and upload it.");
  const checked = result.checkedAt ? `Checked ${formatDate(result.checkedAt)}` : "Checked";
  $("result-meta").textContent = result.modelVersion ? `${checked} by model ${result.modelVersion}.` : `${checked}.`;
  $("result-more").hidden = false;
}

/** Shows one image's result, polling while it is analysed; onSettled(fileName) runs when it is known. */
export class ResultCard {
  /** spotName(spotId): the spot's name, or null.
   *  @param {{ onSettled: (fileName: string) => void, spotName: (spotId: string) => string | null }} options */
  constructor({ onSettled, spotName }) {
    this.onSettled = onSettled;
    this.spotName = spotName;
    /** @type {string | null} */
    this.fileName = null;
    /** @type {string | null} */
    this.spotId = null;
    this.justUploaded = false;
    this.run = 0; // bumps whenever the card switches image, so stale polls stop
    /** @type {string | null} */
    this.imageUrl = null;
    /** @type {string | null} */
    this.heatmapUrl = null;
    $("result-retry").addEventListener("click", () => {
      if (this.fileName) this.show(this.fileName, { focus: false, spotId: this.spotId });
    });
    $("heatmap-toggle").addEventListener("click", () => this.toggleHeatmap());
  }

  /** Follow fileName; imageUrl is an object URL the card may show (the card owns it from now on).
   *  justUploaded: the first look waits a moment (a label is rarely ready in under FIRST_MS), and a
   *  spot's photo is followed by the questions. spotId: the spot the photo is in, if known.
   *  @param {string} fileName
   *  @param {{ imageUrl?: string | null, focus?: boolean, justUploaded?: boolean, spotId?: string | null }} [options] */
  async show(fileName, { imageUrl = null, focus = true, justUploaded = false, spotId = null } = {}) {
    const run = ++this.run;
    if (fileName !== this.fileName || imageUrl) this.setImage(imageUrl);
    this.setHeatmap(null);
    this.fileName = fileName;
    this.spotId = spotId;
    this.justUploaded = justUploaded;
    clearDetails();
    showState("Analysing…", "pending");
    if (focus) $("result-heading").focus();
    if (!this.imageUrl) this.loadImage(fileName, run);
    announce("Analysing your image… This usually takes a few seconds.");
    await this.poll(fileName, run, justUploaded);
  }

  /** After a verdict or a refusal: the way back to the spot, the questions, the heatmap. */
  settle(/** @type {DetectionResult | DetectionRefused} */ data, /** @type {number} */ run) {
    const spotId = this.spotId ?? data.spotId ?? null;
    const name = spotId ? this.spotName(spotId) : null;
    if (spotId && name) {
      const back = $("result-spot", HTMLAnchorElement);
      back.textContent = `Back to ${name}`;
      back.href = screenPaths.spot(spotId);
      back.hidden = false;
    }
    const again = $("result-new-photo", HTMLAnchorElement);
    again.href = data.status === "refused" ? screenPaths.check(spotId) : screenPaths.check();
    again.textContent = data.status === "refused" ? "Take a new photo" : "Check another spot";
    again.classList.toggle("button-secondary", data.status !== "refused");
    again.hidden = false;
    if (data.status === "refused") return;
    if (this.justUploaded && name) this.askQuestions(data, name);
    $("heatmap-hint").textContent = whereItLooked(data.classification);
    if (this.fileName) this.loadHeatmap(this.fileName, run);
  }

  askQuestions(/** @type {DetectionResult} */ data, /** @type {string} */ name) {
    const box = $("result-answers");
    const heading = document.createElement("h2");
    heading.id = "result-answers-heading";
    heading.textContent = `About ${name} now (you can skip this)`;
    const skip = document.createElement("button");
    skip.type = "button";
    skip.className = "button button-secondary button-small";
    skip.textContent = "Skip the questions";
    skip.addEventListener("click", () => {
      box.hidden = true;
      box.replaceChildren();
      $("result-heading").focus();
    });
    if (!this.fileName) return;
    const form = answersForm({ fileName: this.fileName, answers: null }, formatDate(data.classifiedAt ?? new Date().toISOString()), heading.id, skip);
    box.replaceChildren(heading, form);
    box.hidden = false;
  }

  async loadHeatmap(/** @type {string} */ fileName, /** @type {number} */ run) {
    const blob = await api.heatmapBlob(fileName).catch(() => null);
    if (!blob || run !== this.run) return;
    this.setHeatmap(URL.createObjectURL(blob));
    $("heatmap-box").hidden = false;
  }

  toggleHeatmap() {
    const on = $("heatmap-toggle").getAttribute("aria-pressed") !== "true";
    $("heatmap-toggle").setAttribute("aria-pressed", String(on));
    $("heatmap-toggle").textContent = on ? "Hide where SpotCheck looked" : "Show where SpotCheck looked";
    $("result-heatmap").hidden = !on;
    $("heatmap-hint").hidden = !on;
    $("result").classList.toggle("shows-heatmap", on);
  }

  setHeatmap(/** @type {string | null} */ url) {
    if (this.heatmapUrl) URL.revokeObjectURL(this.heatmapUrl);
    this.heatmapUrl = url;
    if (url) $("result-heatmap", HTMLImageElement).src = url;
    else $("result-heatmap").removeAttribute("src");
    $("result-heatmap").hidden = true;
    $("heatmap-hint").hidden = true;
    $("heatmap-toggle").setAttribute("aria-pressed", "false");
    $("heatmap-toggle").textContent = "Show where SpotCheck looked";
    $("result").classList.remove("shows-heatmap");
  }

  async poll(/** @type {string} */ fileName, /** @type {number} */ run, /** @type {boolean} */ justUploaded) {
    const started = Date.now();
    const model = modelFacts(); // fetched while the image is analysed
    let failures = 0;
    let attempt = 0;
    /** @type {number | null} */
    let retryAfter = null;
    if (justUploaded) await sleep(FIRST_MS);
    while (run === this.run) {
      try {
        const { status, data, headers } = await api.detect(fileName);
        failures = 0;
        retryAfter = retryAfterMs(headers);
        if (run !== this.run) return;
        if (status === 200 && data.status === "refused") {
          renderRefused(data);
          this.settle(data, run);
          announce(`${REFUSED}: ${data.message || "SpotCheck cannot judge this photo."} How to take a new one is shown under Result.`);
          this.onSettled(fileName);
          return;
        }
        if (status === 200 && data.status === "done") {
          const facts = await model;
          if (run !== this.run) return;
          render(data, facts);
          this.settle(data, run);
          announce(`Result ready: ${verdict(data.classification).toLowerCase()}. ${nextStep(data.classification).heading}.`, "success");
          this.onSettled(fileName);
          return;
        }
      } catch (error) {
        if (run !== this.run) return;
        if (error instanceof ApiError && error.status === 422) return this.fail("We could not analyse this image. Please try a sharper, well-lit image of the spot.", fileName);
        if (error instanceof ApiError && error.status === 404) return this.fail("This image no longer exists.", null);
        if (sessionEnded(error)) return;
        if (error instanceof ApiError && (error.status === 429 || error.status === 503)) {
          // Busy or briefly down: ask again no sooner than the server said, until GIVE_UP_MS.
          if (Date.now() - started > GIVE_UP_MS) return this.fail(`${error.message} The result was not loaded.`, null, true);
          await sleep(Math.max(pollDelay(attempt++), error.retryAfter ?? 0));
          continue;
        }
        if (++failures > NETWORK_RETRIES) return this.fail(`${messageOf(error)} The result was not loaded.`, null, true);
      }
      if (Date.now() - started > GIVE_UP_MS) {
        return this.fail("The analysis is taking longer than usual. Check again in a minute.", null, true);
      }
      await sleep(pollDelay(attempt++, retryAfter));
    }
  }

  fail(/** @type {string} */ message, /** @type {string | null} */ settledName, retry = false) {
    clearDetails();
    showState("No result", "failed");
    setText("result-verdict", message);
    $("result-verdict").classList.add("is-message");
    $("result-retry").hidden = !retry;
    announce("No result: the reason is shown under Result.", "error");
    if (settledName) this.onSettled(settledName);
  }

  async loadImage(/** @type {string} */ fileName, /** @type {number} */ run) {
    try {
      const blob = await api.imageBlob(fileName);
      if (run === this.run) this.setImage(URL.createObjectURL(blob));
    } catch {
      // the picture is a nicety; the result text matters
    }
  }

  setImage(/** @type {string | null} */ url) {
    if (this.imageUrl) URL.revokeObjectURL(this.imageUrl);
    this.imageUrl = url;
    const img = $("result-img", HTMLImageElement);
    if (url) img.src = url;
    else img.removeAttribute("src");
  }

  /** Hide the card (after sign-out, or when its image is deleted). */
  close() {
    this.run++;
    this.fileName = null;
    this.setImage(null);
    this.setHeatmap(null);
    clearDetails();
  }
}
