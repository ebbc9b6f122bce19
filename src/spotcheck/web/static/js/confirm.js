// A modal "are you sure?" for deleting. While it is open the rest of the page is inert (the
// browser does that for showModal) and also hidden from assistive technology.

import { $ } from "./page.js";

const BACKGROUND = ["site-header", "main", "site-footer"];

/**
 * Open the <dialog> `dialogId`; resolves true when the user presses its "confirm" button.
 * `focus` takes the focus instead of the dialog's own first choice ("Keep it"), such as a field
 * whose error the dialog is shown again for.
 * @returns {Promise<boolean>}
 */
export function confirmWith(/** @type {string} */ dialogId, /** @type {{ focus?: HTMLElement | null }} */ { focus = null } = {}) {
  const dialog = $(dialogId, HTMLDialogElement);
  return new Promise((resolve) => {
    dialog.addEventListener(
      "close",
      () => {
        for (const id of BACKGROUND) $(id).removeAttribute("aria-hidden");
        resolve(dialog.returnValue === "confirm");
      },
      { once: true },
    );
    dialog.returnValue = "";
    for (const id of BACKGROUND) $(id).setAttribute("aria-hidden", "true");
    dialog.showModal();
    focus?.focus();
  });
}

/** Resolves true when the user confirms deleting the image uploaded at `when`. */
export function confirmDelete(/** @type {string} */ when) {
  $("confirm-text").textContent =
    `The image from ${when} and its result are removed from SpotCheck for good.`;
  return confirmWith("confirm-delete");
}
