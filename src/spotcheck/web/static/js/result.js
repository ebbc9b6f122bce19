// The result card: follows an image from "analysing" to its recommendation without a reload.

import { api, ApiError } from "./api.js";
import { announce } from "./announce.js";
import { CAVEAT, formatDate, probabilitySentence, REFUSED, verdict } from "./format.js";

const POLL_MS = 1000;
const GIVE_UP_MS = 3 * 60 * 1000;
const NETWORK_RETRIES = 5;

const $ = (id) => document.getElementById(id);

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
  for (const id of ["result-verdict", "result-recommendation", "result-probability", "result-tip", "result-caveat", "result-meta", "result-disclaimer"]) {
    setText(id, "");
  }
  $("result-retry").hidden = true;
  $("result-new-photo").hidden = true;
}

function render(result) {
  clearDetails();
  showState("Analysis complete", result.classification);
  setText("result-verdict", verdict(result.classification));
  setText("result-recommendation", result.recommendation);
  setText("result-probability", probabilitySentence(result.malignantProbability));
  setText("result-caveat", CAVEAT);
  setText("result-meta", `Analysed ${formatDate(result.classifiedAt)} by model ${result.modelVersion}.`);
  setText("result-disclaimer", result.disclaimer);
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
  setText("result-meta", result.modelVersion ? `${checked} by model ${result.modelVersion}.` : `${checked}.`);
  setText("result-disclaimer", result.disclaimer);
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

  /** Follow fileName; imageUrl is an object URL the card may show (the card owns it from now on). */
  async show(fileName, { imageUrl = null, focus = true } = {}) {
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
    await this.poll(fileName, run);
  }

  async poll(fileName, run) {
    const started = Date.now();
    let failures = 0;
    while (run === this.run) {
      try {
        const { status, data } = await api.detect(fileName);
        failures = 0;
        if (run !== this.run) return;
        if (status === 200 && data.status === "refused") {
          renderRefused(data);
          announce(`${REFUSED}: ${data.message || "SpotCheck cannot judge this photo."} A tip for a better photo is shown under Result.`);
          this.onSettled(fileName);
          return;
        }
        if (status === 200) {
          render(data);
          announce(`Result ready: ${verdict(data.classification).toLowerCase()}. The recommendation is shown under Result.`, "success");
          this.onSettled(fileName);
          return;
        }
      } catch (error) {
        if (run !== this.run) return;
        if (error instanceof ApiError && error.status === 422) return this.fail("We could not analyse this image. Please try a sharper, well-lit image of the spot.", fileName);
        if (error instanceof ApiError && error.status === 404) return this.fail("This image no longer exists.", null);
        if (error instanceof ApiError && error.status === 401) return;
        if (++failures > NETWORK_RETRIES) return this.fail(`${error.message} The result was not loaded.`, null, true);
      }
      if (Date.now() - started > GIVE_UP_MS) {
        return this.fail("The analysis is taking longer than usual. Check again in a minute.", null, true);
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
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
