// The patient's own answers about one photo of a spot (grown, changed, bleeds, itches, hurts,
// raised), saved with PUT /images/{fileName}/answers; read-only on a shared spot.

import { api } from "./api.js";
import { announce } from "./announce.js";
import { enableAgain, formInput } from "./fields.js";
import { announceFailure } from "./page.js";

/** @typedef {import("./api.js").Answers} Answers */

/** @type {[keyof Answers, string][]} */
export const QUESTIONS = [
  ["grown", "It has grown"],
  ["changed", "It has changed in shape or colour"],
  ["bleeds", "It bleeds"],
  ["itches", "It itches"],
  ["hurts", "It hurts"],
  ["raised", "It is raised above the skin"],
];

/** "It bleeds; it itches." from saved answers, or "" when none is yes. */
export function answersWords(/** @type {Answers | null | undefined} */ answers) {
  const yes = QUESTIONS.filter(([key]) => answers?.[key] === true).map(([, words]) => words);
  return yes.length ? `${yes.join("; ")}.` : "";
}

/** The questions as checkboxes with a "Save answers" button (and `extra` beside it, if given), for
 *  the photo `entry` taken `when`; "Saved" shows beside the button once they are saved.
 * @param {{ fileName: string, answers: Answers | null }} entry
 * @param {string} when
 * @param {string} describedBy
 * @param {HTMLElement | null} [extra]
 */
export function answersForm(entry, when, describedBy, extra = null) {
  const form = document.createElement("form");
  form.className = "answers";
  form.noValidate = true;
  const fieldset = document.createElement("fieldset");
  const legend = document.createElement("legend");
  legend.textContent = `About the spot when this photo was taken (${when})`;
  fieldset.append(legend);
  for (const [key, words] of QUESTIONS) {
    const label = document.createElement("label");
    label.className = "inline";
    const box = document.createElement("input");
    box.type = "checkbox";
    box.name = key;
    box.checked = entry.answers?.[key] === true;
    label.append(box, ` ${words}`);
    fieldset.append(label);
  }
  const save = document.createElement("button");
  save.type = "submit";
  save.className = "button button-secondary button-small";
  save.textContent = "Save answers";
  save.setAttribute("aria-describedby", describedBy);
  const saved = document.createElement("span");
  saved.className = "saved";
  saved.textContent = "Saved";
  saved.hidden = true;
  const row = document.createElement("div");
  row.className = "actions answers-actions";
  row.append(save, ...(extra ? [extra] : []), saved);
  fieldset.append(row);
  form.append(fieldset);
  form.addEventListener("change", () => {
    form.dataset.unsaved = "true";
    saved.hidden = true;
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const answers = Object.fromEntries(QUESTIONS.map(([key]) => [key, formInput(form, key).checked]));
    save.disabled = true;
    try {
      await api.saveAnswers(entry.fileName, answers);
      delete form.dataset.unsaved;
      saved.hidden = false;
      announce(`Answers saved for the photo from ${when}.`, "success");
      form.dispatchEvent(new CustomEvent("answers-saved", { bubbles: true }));
    } catch (error) {
      announceFailure("save the answers", error);
    } finally {
      enableAgain(save);
    }
  });
  return form;
}
