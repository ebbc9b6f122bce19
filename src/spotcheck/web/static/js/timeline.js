// One spot's photos: the timeline (oldest first), two photos side by side, and the changes the
// server found between them. Shared by the owner's spot page and the read-only share view.

import { answersForm, answersWords } from "./answers.js";
import { bodySitePicture, bodySiteWords } from "./bodymap.js";
import { changeGroups } from "./changes.js";
import { distinctShortDates, formatDate, labelFor, levelWords, RECOMMENDATIONS, refusalReason } from "./format.js";
import { $ } from "./page.js";
import { openZoom } from "./zoom.js";

/**
 * @typedef {import("./api.js").SpotDetail} SpotDetail
 * @typedef {import("./api.js").TimelineEntry} TimelineEntry
 * @typedef {{ thumbnail: (fileName: string) => string, image: (fileName: string) => string }} PhotoUrls
 */

/** The ids of a spot's parts, the same on the owner's page and the share view. */
export const SPOT_PARTS = {
  heading: "spot-heading",
  site: "spot-site",
  summary: "spot-summary",
  changes: "spot-changes",
  compare: "compare",
  timeline: "spot-timeline",
};

/**
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {string} [className]
 * @param {string} [text]
 * @returns {HTMLElementTagNameMap[K]}
 */
function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

/** One pair of photos and what changed between them (or the server's own sentence). */
function changeItem(/** @type {import("./changes.js").ChangeGroup} */ { lead, sentences }) {
  const item = el("li", "change-group");
  if (lead === null) {
    item.textContent = sentences.join(" ");
    return item;
  }
  const list = el("ul", "change-list");
  list.append(...sentences.map((sentence) => el("li", "", sentence)));
  item.append(el("p", "change-lead", lead), list);
  return item;
}

/** The result of one photo in a few words (the fixed recommendation is said once, for the latest). */
function resultWords(/** @type {TimelineEntry} */ entry) {
  const [label, state] = labelFor(entry);
  const box = el("div", "entry-result");
  const words = el("p", "entry-label", label);
  words.dataset.state = state;
  box.append(words);
  if (entry.status === "refused") box.append(el("p", "hint", refusalReason(entry.refusal)));
  return box;
}

// What the owner does next for a spot at each summary level: the same next step as a result's
// (and as the spot's reminder: 14 days for a worrying spot, 30 otherwise).
/** @type {Record<string, string>} */
const OWNER_NEXT = {
  worrying: "See a dermatologist within 2 weeks. Changes and the timeline below say why.",
  reassuring: "Look at it again in a month, and show it to a dermatologist at your next check-up, or sooner if it changes.",
  unusable: "Its latest photo could not be judged: add a new one.",
  pending: "Its latest photo is being analysed.",
  none: "Add a photo to start following it.",
};

/** The spot's summary into `node`: its level in a few words, then the owner's next step, or the
 *  server's message for a doctor looking at a shared spot (`forOwner` false). */
export function renderSummary(/** @type {HTMLElement} */ node, /** @type {import("./api.js").Summary | null} */ summary, forOwner = true) {
  node.replaceChildren();
  if (summary) {
    const level = el("strong", "summary-level", levelWords(summary.level));
    level.dataset.level = summary.level;
    const words = forOwner ? OWNER_NEXT[summary.level] ?? summary.message : summary.message;
    node.append(level, ` ${words ?? ""}`);
  }
  node.hidden = !summary;
}

/** Fill the spot's heading, place, summary, changes, comparison and timeline.
 *  urls: {thumbnail(fileName), image(fileName)}; editable: the owner may answer the questions.
 * @param {SpotDetail} spot
 * @param {{ urls: PhotoUrls, editable: boolean }} options
 */
export function renderSpot(spot, { urls, editable }) {
  $(SPOT_PARTS.heading).textContent = spot.name;

  const site = $(SPOT_PARTS.site);
  site.replaceChildren();
  if (spot.bodySite) {
    const words = bodySiteWords(spot.bodySite);
    site.append(bodySitePicture(spot.bodySite, `Where the spot is: ${words}`), el("span", "", words));
  }
  site.hidden = !spot.bodySite;

  renderSummary($(SPOT_PARTS.summary), spot.summary, editable);
  // The fixed recommendation once, with the latest photo that has one.
  const latest = (spot.images ?? []).findLast((entry) => entry.status === "done" && entry.classification !== null && Object.hasOwn(RECOMMENDATIONS, entry.classification));

  const changes = spot.changes ?? [];
  $(SPOT_PARTS.changes).replaceChildren(
    ...(changes.length
      ? changeGroups(changes, spot.images ?? []).map(changeItem)
      : [el("li", "", (spot.images?.length ?? 0) > 1 ? "No notable change between the photos." : "Changes show once the spot has two photos.")]),
  );

  renderComparison($(SPOT_PARTS.compare), spot, urls);

  const entries = spot.images ?? [];
  $(SPOT_PARTS.timeline).replaceChildren(
    ...entries.map((entry) => {
      const when = formatDate(entry.uploadedAt);
      const li = el("li", "timeline-entry");
      const img = el("img", "timeline-thumb");
      img.src = urls.thumbnail(entry.fileName);
      img.alt = `Photo of ${spot.name}, ${when}`;
      const text = el("div", "timeline-text");
      const date = el("p", "timeline-date", when);
      date.id = `entry-${crypto.randomUUID()}`;
      text.append(date, resultWords(entry));
      if (entry === latest && entry.classification) text.append(el("p", "entry-recommendation", RECOMMENDATIONS[entry.classification]));
      if (editable) text.append(foldedAnswers(entry, when, date.id));
      else {
        const said = answersWords(entry.answers);
        if (said) text.append(el("p", "entry-answers", `The patient said: ${said}`));
      }
      li.append(img, text);
      return li;
    }),
  );
}

/** The questions for one photo, folded unless some are answered yes (a spot with many photos stays short). */
function foldedAnswers(/** @type {TimelineEntry} */ entry, /** @type {string} */ when, /** @type {string} */ describedBy) {
  const box = el("details", "entry-questions");
  box.open = Boolean(answersWords(entry.answers));
  box.append(el("summary", "", "Questions about the spot then"), answersForm(entry, when, describedBy));
  return box;
}

/**
 * Two photos side by side, each chosen in a menu. The menus sit above the photos, each as wide as
 * the screen, so that a date and time fit them on a phone whatever the hour and the language.
 * @param {HTMLElement} box @param {SpotDetail} spot @param {PhotoUrls} urls
 */
function renderComparison(box, spot, urls) {
  const entries = spot.images ?? [];
  if (entries.length < 2) {
    box.replaceChildren(el("p", "hint", "Add a second photo of this spot to compare two side by side."));
    return;
  }
  const menus = el("div", "compare-menus");
  const photos = el("div", "compare-photos");
  const dates = distinctShortDates(entries.map((entry) => entry.uploadedAt));
  [entries[0], entries[entries.length - 1]].forEach((entry, index) => {
    const figure = el("figure", "compare-side");
    const label = el("label", "", index === 0 ? "Earlier photo" : "Later photo");
    const select = document.createElement("select");
    select.id = `compare-${index}-${crypto.randomUUID()}`;
    label.htmlFor = select.id;
    entries.forEach((option, i) => select.append(new Option(dates[i], option.fileName)));
    select.value = entry.fileName;
    const img = el("img", "compare-img");
    const zoom = el("button", "compare-zoom");
    zoom.type = "button";
    zoom.append(img);
    zoom.addEventListener("click", () => openZoom(box, zoom));
    const caption = el("figcaption");
    const show = () => {
      const chosen = entries.find((item) => item.fileName === select.value) ?? entry;
      const when = formatDate(chosen.uploadedAt);
      img.src = urls.image(chosen.fileName);
      img.alt = `Photo of ${spot.name}, ${when}`;
      zoom.setAttribute("aria-label", `Enlarge, side by side (${when})`);
      caption.replaceChildren(resultWords(chosen));
    };
    select.addEventListener("change", show);
    show();
    const field = el("div", "compare-menu");
    field.append(label, select);
    menus.append(field);
    figure.append(zoom, caption);
    photos.append(figure);
  });
  box.replaceChildren(menus, photos);
}
