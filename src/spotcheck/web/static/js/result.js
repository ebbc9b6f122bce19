// The result card: follows an image from "analysing" to its recommendation without a reload.

import { api, ApiError, retryAfterMs } from "./api.js";
import { announce } from "./announce.js";
import { meaning, modelFacts, nextSteps, plainWords } from "./explain.js";
import { CAVEAT, formatDate, probabilitySentence, REFUSED, verdict } from "./format.js";
import { FIRST_MS, pollDelay } from "./polling.js";
const GIVE_UP_MS = 3 * 60 * 1000;
const NETWORK_RETRIES = 5;

const $ = (id) => document.getElementById(id);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function setText(id, text) {
  const el = $(id);
  el.textContent = text ?? "";
  el.hidden = !text;
}

function showState(label, state) {
  const pill = $("result-state");
  pill.textContent = label;
  pill.dataset.state = state;
}

function clearDetails() {
  for (const id of ["result-verdict", "result-plain", "result-recommendation", "result-tip", "result-caveat"]) {
    setText(id, "");
  }
  for (const id of ["result-next", "result-number", "result-signs", "result-details", "result-retry", "result-new-photo"]) {
    $(id).hidden = true;
  }
}

// The model's id and the raw estimate are for the curious and for a doctor: behind "Details".
function showDetails(lines) {
  $("result-meta").textContent = lines.join(" ");
  $("result-details").hidden = false;
}

// Plain words first (verdict, what it means, the fixed recommendation, what to do and how
// soon), the number second with what it means, then the warning signs to watch for.
function render(result, model) {
  clearDetails();
  showState("Analysis complete", result.classification);
  setText("result-verdict", verdict(result.classification));
  setText("result-plain", plainWords(result.classification));
  setText("result-recommendation", result.recommendation);
  $("result-next-text").textContent = nextSteps(result.classification);
  $("result-next").hidden = false;
  $("result-probability").textContent = probabilitySentence(result.malignantProbability, result.classification);
  $("result-meaning").textContent = meaning(result, model);
  $("result-number").hidden = false;
  setText("result-caveat", CAVEAT);
  $("result-signs").hidden = false;
  const details = [
    `Analysed ${formatDate(result.classifiedAt)} by model ${result.modelVersion}.`,
    `Estimate: ${result.malignantProbability.toFixed(4)}.`,
  ];
  if (typeof model?.threshold === "number") details.push(`Flagged from: ${model.threshold.toFixed(4)}.`);
  showDetails(details);
}

// A photo the gate refused was not judged: its message and a tip for a better photo, and never
// a verdict or recommendation, whatever else the answer carries.
function renderRefused(result) {
  clearDetails();
  showState(REFUSED, "refused");
  setText("result-verdict", result.message || "SpotCheck cannot judge this photo.");
  setText("result-tip", result.tip ? `For a better photo: ${result.tip}` : "");
  setText("result-caveat", "SpotCheck gives no result for a photo it cannot judge. Take a new photo of the spot and upload it.");
  const checked = result.checkedAt ? `Checked ${formatDate(result.checkedAt)}` : "Checked";
  showDetails([result.modelVersion ? `${checked} by model ${result.modelVersion}.` : `${checked}.`]);
  $("result-new-photo").hidden = false;
}

/** Shows one image's result, polling while it is analysed; onSettled(fileName) runs when it is known. */
export class ResultCard {
  constructor({ onSettled }) {
    this.onSettled = onSettled;
    this.fileName = null;
    this.run = 0; // bumps whenever the card switches image, so stale polls stop
    this.imageUrl = null;
    $("result-retry").addEventListener("click", () => this.show(this.fileName, { focus: false }));
    $("result-new-photo").addEventListener("click", () => {
      // The guidance sits just above the photo field: read it, then Tab reaches the field.
      $("photo-tips-heading").focus();
      $("add-card").scrollIntoView({ block: "start" });
    });
  }

  /** Follow fileName; imageUrl is an object URL the card may show (the card owns it from now on).
   *  justUploaded: the first look waits a moment (a label is rarely ready in under FIRST_MS). */
  async show(fileName, { imageUrl = null, focus = true, justUploaded = false } = {}) {
    const run = ++this.run;
    if (fileName !== this.fileName || imageUrl) this.setImage(imageUrl);
    this.fileName = fileName;
    $("result").hidden = false;
    clearDetails();
    showState("Analysing…", "pending");
    if (focus) {
      $("result-heading").focus();
      $("result").scrollIntoView({ block: "nearest" });
    }
    if (!this.imageUrl) this.loadImage(fileName, run);
    announce("Analysing your image… This usually takes a few seconds.");
    await this.poll(fileName, run, justUploaded);
  }

  async poll(fileName, run, justUploaded) {
    const started = Date.now();
    const model = modelFacts(); // fetched while the image is analysed
    let failures = 0;
    let attempt = 0;
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
          announce(`${REFUSED}: ${data.message || "SpotCheck cannot judge this photo."} A tip for a better photo is shown under Result.`);
          this.onSettled(fileName);
          return;
        }
        if (status === 200) {
          const facts = await model;
          if (run !== this.run) return;
          render(data, facts);
          announce(`Result ready: ${verdict(data.classification).toLowerCase()}. The recommendation is shown under Result.`, "success");
          this.onSettled(fileName);
          return;
        }
      } catch (error) {
        if (run !== this.run) return;
        if (error instanceof ApiError && error.status === 422) return this.fail("We could not analyse this image. Please try a sharper, well-lit image of the spot.", fileName);
        if (error instanceof ApiError && error.status === 404) return this.fail("This image no longer exists.", null);
        if (error instanceof ApiError && error.status === 401) return;
        if (error instanceof ApiError && (error.status === 429 || error.status === 503)) {
          // Busy or briefly down: ask again no sooner than the server said, until GIVE_UP_MS.
          if (Date.now() - started > GIVE_UP_MS) return this.fail(`${error.message} The result was not loaded.`, null, true);
          await sleep(Math.max(pollDelay(attempt++), error.retryAfter ?? 0));
          continue;
        }
        if (++failures > NETWORK_RETRIES) return this.fail(`${error.message} The result was not loaded.`, null, true);
      }
      if (Date.now() - started > GIVE_UP_MS) {
        return this.fail("The analysis is taking longer than usual. Check again in a minute.", null, true);
      }
      await sleep(pollDelay(attempt++, retryAfter));
    }
  }

  fail(message, settledName, retry = false) {
    clearDetails();
    showState("No result", "failed");
    setText("result-verdict", message);
    $("result-retry").hidden = !retry;
    announce("No result: the reason is shown under Result.", "error");
    if (settledName) this.onSettled(settledName);
  }

  async loadImage(fileName, run) {
    try {
      const blob = await api.imageBlob(fileName);
      if (run === this.run) this.setImage(URL.createObjectURL(blob));
    } catch {
      // the picture is a nicety; the result text matters
    }
  }

  setImage(url) {
    if (this.imageUrl) URL.revokeObjectURL(this.imageUrl);
    this.imageUrl = url;
    const img = $("result-img");
    if (url) img.src = url;
    else img.removeAttribute("src");
  }

  /** Hide the card (after sign-out, or when its image is deleted). */
  close() {
    this.run++;
    this.fileName = null;
    this.setImage(null);
    $("result").hidden = true;
  }
}
