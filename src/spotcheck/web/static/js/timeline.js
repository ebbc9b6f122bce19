// One spot's photos: the timeline (oldest first), two photos side by side, and the changes the
// server found between them. Shared by the owner's spot page and the read-only share view.

import { answersForm, answersWords } from "./answers.js";
import { bodySitePicture, bodySiteWords } from "./bodymap.js";
import { formatDate, labelFor, levelWords, RECOMMENDATIONS, refusalReason } from "./format.js";

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

/** The result of one photo in plain words, and the fixed recommendation when there is one. */
function resultWords(entry) {
  const [label, state] = labelFor(entry);
  const box = el("div", "entry-result");
  const words = el("p", "entry-label", label);
  words.dataset.state = state;
  box.append(words);
  if (entry.status === "refused") box.append(el("p", "hint", refusalReason(entry.refusal)));
  if (entry.status === "done" && RECOMMENDATIONS[entry.classification]) {
    box.append(el("p", "entry-recommendation", RECOMMENDATIONS[entry.classification]));
  }
  return box;
}

/** The spot's summary (level in a few words, then the server's message) into `node`. */
export function renderSummary(node, summary) {
  node.replaceChildren();
  if (summary) {
    const level = el("strong", "summary-level", levelWords(summary.level));
    level.dataset.level = summary.level;
    node.append(level, ` ${summary.message ?? ""}`);
  }
  node.hidden = !summary;
}

/** Fill the spot's heading, place, summary, changes, comparison and timeline.
 *  urls: {thumbnail(fileName), image(fileName)}; editable: the owner may answer the questions. */
export function renderSpot(spot, { urls, editable, ids }) {
  const $ = (key) => document.getElementById(ids[key]);
  $("heading").textContent = spot.name;

  const site = $("site");
  site.replaceChildren();
  if (spot.bodySite) {
    const words = bodySiteWords(spot.bodySite);
    site.append(bodySitePicture(spot.bodySite, `Where the spot is: ${words}`), el("span", "", words));
  }
  site.hidden = !spot.bodySite;

  renderSummary($("summary"), spot.summary);

  const changes = spot.changes ?? [];
  $("changes").replaceChildren(
    ...(changes.length
      ? changes.map((change) => el("li", change.notable ? "is-notable" : "", change.message))
      : [el("li", "", spot.images?.length > 1 ? "No notable change between the photos." : "Changes show once the spot has two photos.")]),
  );

  renderComparison($("compare"), spot, urls);

  const entries = spot.images ?? [];
  $("timeline").replaceChildren(
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
      if (editable) text.append(answersForm(entry, when, date.id));
      else {
        const said = answersWords(entry.answers);
        if (said) text.append(el("p", "entry-answers", `The patient said: ${said}`));
      }
      li.append(img, text);
      return li;
    }),
  );
}

function renderComparison(box, spot, urls) {
  const entries = spot.images ?? [];
  if (entries.length < 2) {
    box.replaceChildren(el("p", "hint", "Add a second photo of this spot to compare two side by side."));
    return;
  }
  const sides = [entries[0], entries.at(-1)].map((entry, index) => {
    const figure = el("figure", "compare-side");
    const label = el("label", "", index === 0 ? "Earlier photo" : "Later photo");
    const select = document.createElement("select");
    select.id = `compare-${index}-${crypto.randomUUID()}`;
    label.htmlFor = select.id;
    for (const option of entries) select.append(new Option(formatDate(option.uploadedAt), option.fileName));
    select.value = entry.fileName;
    const img = el("img", "compare-img");
    const caption = el("figcaption");
    const show = () => {
      const chosen = entries.find((item) => item.fileName === select.value);
      const when = formatDate(chosen.uploadedAt);
      img.src = urls.image(chosen.fileName);
      img.alt = `Photo of ${spot.name}, ${when}`;
      caption.replaceChildren(resultWords(chosen));
    };
    select.addEventListener("change", show);
    show();
    figure.append(label, select, img, caption);
    return figure;
  });
  box.replaceChildren(...sides);
}
