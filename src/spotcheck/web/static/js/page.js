// Small helpers every part of the page uses: finding an element by id, and telling a failure that
// only means "the session ended" (api.js has shown the sign-in form then) from one to report.

import { announce } from "./announce.js";
import { ApiError } from "./api.js";

/**
 * The element with this id. `type` (HTMLInputElement, say) also checks its kind, so that the
 * caller may use that kind's own properties.
 * @template {Element} [T=HTMLElement]
 * @param {string} id
 * @param {{ new (): T, prototype: T }} [type]
 * @returns {T}
 */
export function $(id, type) {
  const element = document.getElementById(id);
  const kind = type ?? HTMLElement;
  if (!(element instanceof kind)) throw new Error(`The page has no ${kind.name} with the id "${id}".`);
  return /** @type {T} */ (/** @type {unknown} */ (element));
}

/** Whether `error` says that the session ended (a 401): the sign-in form says so already. */
export function sessionEnded(/** @type {unknown} */ error) {
  return error instanceof ApiError && error.status === 401;
}

/** Whether `error` is an API answer with one of these statuses. */
export function failedWith(/** @type {unknown} */ error, /** @type {number[]} */ ...statuses) {
  return error instanceof ApiError && statuses.includes(error.status);
}

/** The message of anything thrown, fit to show. */
export function messageOf(/** @type {unknown} */ error) {
  return error instanceof Error ? error.message : String(error);
}

/** Say "Could not <what>: <why>." unless the session ended (then the sign-in form says it). */
export function announceFailure(/** @type {string} */ what, /** @type {unknown} */ error) {
  if (!sessionEnded(error)) announce(`Could not ${what}: ${messageOf(error)}`, "error");
}
