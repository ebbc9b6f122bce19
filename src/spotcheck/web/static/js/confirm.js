// A modal "are you sure?" for deleting. While it is open the rest of the page is inert (the
// browser does that for showModal) and also hidden from assistive technology.

const BACKGROUND = ["site-header", "notice-row", "main", "site-footer"];

/** Resolves true when the user confirms deleting the image uploaded at `when`. */
export function confirmDelete(when) {
  const dialog = document.getElementById("confirm-delete");
  document.getElementById("confirm-text").textContent =
    `The image from ${when} and its result are removed from SpotCheck for good.`;
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
  });
}
