// A modal "are you sure?" for deleting. While it is open the rest of the page is inert (the
// browser does that for showModal) and also hidden from assistive technology.

const BACKGROUND = ["site-header", "main", "site-footer"];

/**
 * Open the <dialog> `dialogId`; resolves true when the user presses its "confirm" button.
 * `focus` takes the focus instead of the dialog's own first choice ("Keep it"), such as a field
 * whose error the dialog is shown again for.
 */
export function confirmWith(dialogId, { focus = null } = {}) {
  const dialog = document.getElementById(dialogId);
  return new Promise((resolve) => {
    dialog.addEventListener(
      "close",
      () => {
        for (const id of BACKGROUND) document.getElementById(id).removeAttribute("aria-hidden");
        resolve(dialog.returnValue === "confirm");
      },
      { once: true },
    );
    dialog.returnValue = "";
    for (const id of BACKGROUND) document.getElementById(id).setAttribute("aria-hidden", "true");
    dialog.showModal();
    focus?.focus();
  });
}

/** Resolves true when the user confirms deleting the image uploaded at `when`. */
export function confirmDelete(when) {
  document.getElementById("confirm-text").textContent =
    `The image from ${when} and its result are removed from SpotCheck for good.`;
  return confirmWith("confirm-delete");
}
