// The user's images, newest first: thumbnails, date and result; open one (its result screen), put
// it into a spot, or delete it.

import { api } from "./api.js";
import { announce } from "./announce.js";
import { confirmDelete } from "./confirm.js";
import { formatDate, labelFor, refusalReason } from "./format.js";
import { $, announceFailure, failedWith, messageOf, sessionEnded } from "./page.js";
import { screenPaths } from "./router.js";

/** @typedef {import("./api.js").ImageItem} ImageItem */

const PAGE = 20;

export class History {
  /** spots: spots.js's list (for the "Spot for this photo" menus).
   *  @param {{
   *    spots: import("./spots.js").Spots,
   *    onDeleted: (fileName: string) => void,
   *    onMoved: (fileName: string, spotId: string | null) => void,
   *  }} options */
  constructor({ spots, onDeleted, onMoved }) {
    this.spots = spots;
    this.onDeleted = onDeleted;
    this.onMoved = onMoved;
    spots.whenChanged(() => this.render());
    /** @type {ImageItem[]} */
    this.items = [];
    this.total = 0;
    /** @type {Map<string, Promise<string | null>>} fileName -> an object URL (or null), asked for once */
    this.thumbs = new Map();
    /** @type {string | null} */
    this.current = null;
    this.generation = 0; // bumps on clear(), so late answers for a signed-out user are dropped
    $("history-more").addEventListener("click", () => this.loadMore());
  }

  async refresh() {
    const generation = this.generation;
    try {
      const page = await api.listImages(Math.max(PAGE, this.items.length), 0);
      if (generation !== this.generation) return;
      this.items = page.items;
      this.total = page.total;
      this.render();
    } catch (error) {
      announceFailure("load your history", error);
    }
  }

  async loadMore() {
    const generation = this.generation;
    try {
      const page = await api.listImages(PAGE, this.items.length);
      if (generation !== this.generation) return;
      const known = new Set(this.items.map((item) => item.fileName));
      const first = this.items.length;
      this.items.push(...page.items.filter((item) => !known.has(item.fileName)));
      this.total = page.total;
      this.render();
      // The button hides itself on the last page: the focus goes on to the first photo it loaded.
      if ($("history-more").hidden) $("history-list").children[first]?.querySelector("a")?.focus();
    } catch (error) {
      announce(`Could not load more: ${messageOf(error)}`, "error");
    }
  }

  /** The spot a listed photo is in, or null. */
  spotOf(/** @type {string} */ fileName) {
    return this.items.find((item) => item.fileName === fileName)?.spotId ?? null;
  }

  markCurrent(/** @type {string} */ fileName) {
    this.current = fileName;
    for (const li of $("history-list").children) {
      if (li instanceof HTMLElement) li.classList.toggle("is-current", li.dataset.fileName === fileName);
    }
  }

  render() {
    const list = $("history-list");
    const names = new Set(this.items.map((item) => item.fileName));
    for (const [name, url] of this.thumbs) {
      if (!names.has(name)) {
        url.then((href) => href && URL.revokeObjectURL(href));
        this.thumbs.delete(name);
      }
    }
    list.replaceChildren(...this.items.map((item) => this.renderItem(item)));
    $("history-empty").hidden = this.items.length > 0;
    $("history-more").hidden = this.items.length >= this.total;
  }

  renderItem(/** @type {ImageItem} */ item) {
    const [label, state] = labelFor(item);
    const li = document.createElement("li");
    li.className = "history-item";
    li.dataset.fileName = item.fileName;
    li.classList.toggle("is-current", item.fileName === this.current);

    const open = document.createElement("a");
    open.href = screenPaths.result(item.fileName);
    open.className = "history-open";
    const thumb = document.createElement("img");
    thumb.className = "history-thumb";
    thumb.alt = "";
    this.loadThumb(item.fileName, thumb);
    const text = document.createElement("span");
    text.className = "history-text";
    const date = document.createElement("span");
    date.className = "history-date";
    date.textContent = formatDate(item.uploadedAt);
    date.id = `history-date-${crypto.randomUUID()}`;
    const result = document.createElement("span");
    result.className = "history-label";
    result.dataset.state = state;
    result.textContent = label;
    const prefix = document.createElement("span");
    prefix.className = "visually-hidden";
    prefix.textContent = "Show the result of the image from ";
    text.append(prefix, date, result);
    if (item.status === "refused") {
      const reason = document.createElement("span");
      reason.className = "history-reason";
      reason.textContent = refusalReason(item.refusal);
      text.append(reason);
    }
    open.append(thumb, text);

    const remove = document.createElement("button");
    remove.type = "button";
    remove.className = "button button-secondary button-small";
    remove.textContent = "Delete";
    remove.setAttribute("aria-describedby", date.id);
    remove.addEventListener("click", () => this.remove(item, remove));

    const controls = document.createElement("div");
    controls.className = "history-controls";
    if (this.spots.available && this.spots.items.length) controls.append(this.spotMenu(item, date.id));
    controls.append(remove);
    li.append(open, controls);
    return li;
  }

  /** "Move to spot": choosing one moves the photo there at once, "Saved" beside it. */
  spotMenu(/** @type {ImageItem} */ item, /** @type {string} */ describedBy) {
    const box = document.createElement("div");
    box.className = "history-spot";
    const select = document.createElement("select");
    select.id = `history-spot-${crypto.randomUUID()}`;
    select.setAttribute("aria-describedby", describedBy);
    const label = document.createElement("label");
    label.htmlFor = select.id;
    label.textContent = "Move to spot";
    select.append(new Option("No spot", ""), ...this.spots.items.map((spot) => new Option(spot.name, spot.id)));
    select.value = item.spotId ?? "";
    const saved = document.createElement("span");
    saved.className = "saved";
    saved.textContent = "Saved";
    saved.hidden = true;
    select.addEventListener("change", async () => {
      saved.hidden = true;
      const spotId = select.value || null;
      try {
        await api.moveImage(item.fileName, spotId);
        item.spotId = spotId;
        saved.hidden = false;
        announce(spotId ? `Photo moved to ${select.selectedOptions[0]?.textContent}.` : "Photo taken out of its spot.", "success");
        this.onMoved(item.fileName, spotId);
      } catch (error) {
        select.value = item.spotId ?? "";
        announceFailure("move the photo", error);
      }
    });
    box.append(label, select, saved);
    return box;
  }

  async loadThumb(/** @type {string} */ fileName, /** @type {HTMLImageElement} */ img) {
    if (!this.thumbs.has(fileName)) {
      const url = api
        .thumbnailBlob(fileName) // 160 px, a few KB
        .then((blob) => URL.createObjectURL(blob))
        .catch(() => {
          this.thumbs.delete(fileName); // asked again at the next redraw
          return null; // no thumbnail; the date and result still show
        });
      this.thumbs.set(fileName, url);
    }
    const url = await this.thumbs.get(fileName);
    if (url) img.src = url;
  }

  async remove(/** @type {ImageItem} */ item, /** @type {HTMLButtonElement} */ button) {
    if (!(await confirmDelete(formatDate(item.uploadedAt)))) {
      button.focus();
      return;
    }
    try {
      await api.deleteImage(item.fileName);
    } catch (error) {
      if (sessionEnded(error)) return; // signed out: the sign-in form says so
      if (!failedWith(error, 404)) {
        announceFailure("delete the image", error);
        button.focus();
        return;
      }
    }
    this.items = this.items.filter((other) => other.fileName !== item.fileName);
    this.total = Math.max(0, this.total - 1);
    this.render();
    $("history-heading").focus();
    announce("The image was deleted.", "success");
    this.onDeleted(item.fileName);
  }

  clear() {
    this.generation++;
    this.items = [];
    this.total = 0;
    this.current = null;
    this.render();
  }
}
