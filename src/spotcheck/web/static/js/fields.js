// Errors shown next to the field that caused them, and tied to it for screen readers.

import { $ } from "./page.js";

/** @param {string} errorId @param {string} message @param {Element | null} [input] */
export function showFieldError(errorId, message, input = null) {
  const el = $(errorId);
  el.textContent = message;
  el.hidden = false;
  if (input) input.setAttribute("aria-invalid", "true");
}

/** @param {string} errorId @param {Element | null} [input] */
export function clearFieldError(errorId, input = null) {
  const el = $(errorId);
  el.textContent = "";
  el.hidden = true;
  if (input) input.removeAttribute("aria-invalid");
}

/** Enable `button` again; if disabling it had dropped the focus to the page, it takes it back. */
export function enableAgain(/** @type {HTMLButtonElement} */ button) {
  button.disabled = false;
  if (document.activeElement === null || document.activeElement === document.body) button.focus();
}

/** The input called `name` in `form`. */
export function formInput(/** @type {HTMLFormElement} */ form, /** @type {string} */ name) {
  const input = form.elements.namedItem(name);
  if (!(input instanceof HTMLInputElement)) throw new Error(`The form has no input called "${name}".`);
  return input;
}
