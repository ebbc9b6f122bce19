// The compare view enlarged: the two chosen photos side by side in a dialog as wide as the screen,
// each zoomable by a tap (twice the size, scrolled to where it was tapped).

import { $ } from "./page.js";

/** Open the dialog with the photos shown in `box` (the compare view); `from` gets the focus back. */
export function openZoom(/** @type {HTMLElement} */ box, /** @type {HTMLElement} */ from) {
  const dialog = $("zoom", HTMLDialogElement);
  const photos = $("zoom-photos");
  photos.replaceChildren(
    ...[...box.querySelectorAll(".compare-img")].filter((source) => source instanceof HTMLImageElement).map((source) => {
      const figure = document.createElement("figure");
      figure.className = "zoom-side";
      const button = document.createElement("button");
      button.type = "button";
      button.className = "zoom-photo";
      button.setAttribute("aria-pressed", "false");
      button.setAttribute("aria-label", "Zoom in");
      const img = document.createElement("img");
      img.src = source.src;
      img.alt = source.alt;
      button.append(img);
      button.addEventListener("click", (event) => {
        const on = button.getAttribute("aria-pressed") !== "true";
        button.setAttribute("aria-pressed", String(on));
        button.setAttribute("aria-label", on ? "Zoom out" : "Zoom in");
        figure.classList.toggle("is-zoomed", on);
        if (on) {
          const rect = img.getBoundingClientRect();
          const x = (event.clientX - rect.left) / Math.max(1, rect.width);
          const y = (event.clientY - rect.top) / Math.max(1, rect.height);
          figure.scrollTo({ left: x * figure.scrollWidth - figure.clientWidth / 2, top: y * figure.scrollHeight - figure.clientHeight / 2 });
        }
      });
      const caption = document.createElement("figcaption");
      caption.textContent = source.alt;
      caption.id = `zoom-caption-${crypto.randomUUID()}`;
      button.setAttribute("aria-describedby", caption.id);
      figure.append(button, caption);
      return figure;
    }),
  );
  dialog.addEventListener("close", () => from.focus(), { once: true });
  dialog.showModal();
}
