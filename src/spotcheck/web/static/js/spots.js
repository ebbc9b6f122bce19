// The user's spots: the list (each a link to its page), the "New spot" form, and the upload
// form's "Spot" select. Hidden altogether on a server without the /spots API.

import { api, ApiError } from "./api.js";
import { announce } from "./announce.js";
import { createBodyMap } from "./bodymap.js";
import { clearFieldError, showFieldError } from "./fields.js";
import { levelWords } from "./format.js";
import { screenPaths } from "./router.js";

const $ = (id) => document.getElementById(id);
// Control characters are refused by the API too; checked here so the message is next to the field.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** What is wrong with a spot name the person typed (trimmed), or null when nothing is. */
export function spotNameProblem(name) {
  if (!name) return "Give the spot a name.";
  return CONTROL.test(name) ? "Use letters, digits and punctuation only." : null;
}

export class Spots {
  constructor({ onCreated }) {
    this.onCreated = onCreated;
    this.items = [];
    this.available = true;
    this.generation = 0;
    this.listeners = [];
    this.map = createBodyMap($("bodymap-figure"), "bodyView", $("bodymap-clear"));
    $("spot-new").addEventListener("click", () => this.toggleForm(true));
    $("spot-cancel").addEventListener("click", () => {
      this.toggleForm(false);
      $("spot-new").focus();
    });
    $("spot-name").addEventListener("input", () => clearFieldError("spot-name-error", $("spot-name")));
    $("spot-form").addEventListener("submit", (event) => {
      event.preventDefault();
      this.save();
    });
  }

  toggleForm(open) {
    $("spot-form").hidden = !open;
    $("spot-new").setAttribute("aria-expanded", String(open));
    if (open) {
      $("spot-name").focus();
    } else {
      $("spot-form").reset();
      this.map.reset();
      clearFieldError("spot-name-error", $("spot-name"));
    }
  }

  async save() {
    const input = $("spot-name");
    const name = input.value.trim();
    const problem = spotNameProblem(name);
    if (problem) {
      showFieldError("spot-name-error", problem, input);
      input.focus();
      return;
    }
    $("spot-save").disabled = true;
    try {
      const spot = await api.createSpot(name, this.map.value());
      this.toggleForm(false);
      announce(`Spot "${spot.name}" saved.`, "success");
      await this.refresh();
      this.onCreated(spot);
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) return;
      showFieldError("spot-name-error", error.message, input);
      input.focus();
    } finally {
      $("spot-save").disabled = false;
    }
  }

  async refresh() {
    const generation = this.generation;
    try {
      const page = await api.listSpots();
      if (generation !== this.generation) return;
      this.items = page.items;
      this.setAvailable(true);
      this.render();
    } catch (error) {
      if (error instanceof ApiError && (error.status === 404 || error.status === 405)) this.setAvailable(false);
      else if (!(error instanceof ApiError && error.status === 401)) announce(`Could not load your spots: ${error.message}`, "error");
    }
  }

  /** Call `callback()` whenever the list changes. */
  whenChanged(callback) {
    this.listeners.push(callback);
  }

  /** The name of spot `spotId`, or null when it is not (or no longer) listed. */
  nameOf(spotId) {
    return this.items.find((spot) => spot.id === spotId)?.name ?? null;
  }

  setAvailable(available) {
    this.available = available;
    $("spots").classList.toggle("is-unavailable", !available);
    document.querySelector('[data-screen-link="spots"]').hidden = !available;
    $("spot-field").hidden = !available;
  }

  render() {
    const list = $("spot-list");
    list.replaceChildren(
      ...this.items.map((spot) => {
        const li = document.createElement("li");
        li.className = "spot-item";
        const link = document.createElement("a");
        link.href = screenPaths.spot(spot.id);
        link.textContent = spot.name;
        const about = document.createElement("span");
        about.className = "spot-about";
        about.dataset.level = spot.summary?.level ?? "none";
        const photos = spot.imageCount === 1 ? "1 photo" : `${spot.imageCount} photos`;
        about.textContent = `${levelWords(spot.summary?.level)} · ${photos}`;
        li.append(link, about);
        return li;
      }),
    );
    $("spots-empty").hidden = this.items.length > 0;
    const select = $("spot-select");
    const chosen = select.value;
    select.replaceChildren(new Option("No spot", ""), ...this.items.map((spot) => new Option(spot.name, spot.id)));
    select.value = this.items.some((spot) => spot.id === chosen) ? chosen : "";
    for (const callback of this.listeners) callback();
  }

  clear() {
    this.generation++;
    this.items = [];
    this.toggleForm(false);
    this.render();
  }
}
