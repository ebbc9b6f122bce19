// The user's spots: the list (each a link to its page), the "New spot" form, and the upload
// form's "Spot" select. Hidden altogether on a server without the /spots API.

import { api } from "./api.js";
import { announce } from "./announce.js";
import { createBodyMap } from "./bodymap.js";
import { clearFieldError, showFieldError } from "./fields.js";
import { levelWords } from "./format.js";
import { $, announceFailure, failedWith, messageOf, sessionEnded } from "./page.js";
import { screenPaths } from "./router.js";

/** @typedef {import("./api.js").Spot} Spot */

const nameField = () => $("spot-name", HTMLInputElement);
// Control characters are refused by the API too; checked here so the message is next to the field.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** What is wrong with a spot name the person typed (trimmed), or null when nothing is. */
export function spotNameProblem(/** @type {string} */ name) {
  if (!name) return "Give the spot a name.";
  return CONTROL.test(name) ? "Use letters, digits and punctuation only." : null;
}

export class Spots {
  /** @param {{ onCreated: (spot: Spot) => void }} options */
  constructor({ onCreated }) {
    this.onCreated = onCreated;
    /** @type {Spot[]} */
    this.items = [];
    this.available = true;
    this.generation = 0;
    /** @type {(() => void)[]} */
    this.listeners = [];
    this.map = createBodyMap($("bodymap-figure"), "bodyView", $("bodymap-clear"));
    $("spot-new").addEventListener("click", () => this.toggleForm(true));
    $("spot-cancel").addEventListener("click", () => {
      this.toggleForm(false);
      $("spot-new").focus();
    });
    nameField().addEventListener("input", () => clearFieldError("spot-name-error", nameField()));
    $("spot-form").addEventListener("submit", (event) => {
      event.preventDefault();
      this.save();
    });
  }

  toggleForm(/** @type {boolean} */ open) {
    const form = $("spot-form", HTMLFormElement);
    form.hidden = !open;
    $("spot-new").setAttribute("aria-expanded", String(open));
    if (open) {
      nameField().focus();
    } else {
      form.reset();
      this.map.reset();
      clearFieldError("spot-name-error", nameField());
    }
  }

  async save() {
    const input = nameField();
    const name = input.value.trim();
    const problem = spotNameProblem(name);
    if (problem) {
      showFieldError("spot-name-error", problem, input);
      input.focus();
      return;
    }
    const save = $("spot-save", HTMLButtonElement);
    save.disabled = true;
    try {
      const spot = await api.createSpot(name, this.map.value());
      this.toggleForm(false);
      announce(`Spot "${spot.name}" saved.`, "success");
      await this.refresh();
      this.onCreated(spot);
    } catch (error) {
      if (sessionEnded(error)) return;
      showFieldError("spot-name-error", messageOf(error), input);
      input.focus();
    } finally {
      save.disabled = false;
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
      if (failedWith(error, 404, 405)) this.setAvailable(false);
      else announceFailure("load your spots", error);
    }
  }

  /** Call `callback()` whenever the list changes. */
  whenChanged(/** @type {() => void} */ callback) {
    this.listeners.push(callback);
  }

  /** The name of spot `spotId`, or null when it is not (or no longer) listed. */
  nameOf(/** @type {string} */ spotId) {
    return this.items.find((spot) => spot.id === spotId)?.name ?? null;
  }

  setAvailable(/** @type {boolean} */ available) {
    this.available = available;
    $("spots").classList.toggle("is-unavailable", !available);
    const tab = document.querySelector('[data-screen-link="spots"]');
    if (tab instanceof HTMLElement) tab.hidden = !available;
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
    const select = $("spot-select", HTMLSelectElement);
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
