// Choosing an image (file picker, phone camera, or drag and drop), previewing it, and sending it.

import { api, ApiError } from "./api.js";
import { announce } from "./announce.js";
import { decode, prepareForUpload } from "./downscale.js";
import { clearFieldError, showFieldError } from "./fields.js";
import { formatSize } from "./format.js";
import { $, sessionEnded } from "./page.js";

// What the browser's own look at a photo may find, and what to do about it. The server checks
// every photo again and decides, so a warning never blocks the upload.
/** @type {Record<string, string>} */
const WARNINGS = {
  blurry: "This photo looks blurry: SpotCheck may not be able to judge the spot. Hold the phone about 10 cm away, tap the spot to focus, and hold still.",
  "too-dark": "This photo looks too dark: SpotCheck may not be able to judge the spot. Take it in daylight, without flash, with no shadow over the spot.",
  "too-bright": "This photo looks too bright: the spot may be washed out. Take it out of direct sunlight, without flash.",
};

/** A reason from WARNINGS, or null; the check is a courtesy, so any failure of it is no reason. */
async function photoProblem(/** @type {ImageBitmap} */ bitmap) {
  try {
    const { checkPhoto } = await import("./photocheck.js");
    const { reason } = await checkPhoto(bitmap);
    return reason !== null && Object.hasOwn(WARNINGS, reason) ? reason : null;
  } catch {
    return null;
  }
}

function uploadMessage(/** @type {unknown} */ error) {
  if (!(error instanceof ApiError)) return "Something went wrong while uploading. Please try again.";
  switch (error.status) {
    case 413: {
      // The server's message names its limit, which the operator may have changed; a proxy's
      // 413 page has no such message, and the sentence must still read well without it.
      const limit = typeof error.detail === "string" ? `${error.detail} ` : "";
      return `This image is too large to upload. ${limit}Choose a smaller image, or take a new picture at a lower resolution.`;
    }
    case 415:
      return "This file is not an image SpotCheck can read. Choose a JPEG, PNG, WebP or HEIC image of the spot.";
    case 404: // only the spot can be missing: it was deleted meanwhile (in another tab, say)
      return "The spot you chose no longer exists. Choose another spot, or none, and upload again.";
    case 422:
      return "This image could not be read: it may be damaged, incomplete or have far too many pixels. Try another image.";
    default:
      return error.message;
  }
}

/** Wire the upload form; onUploaded(fileName, previewUrl, spotId) runs when the server has accepted
 *  an image, onFailed() when an upload did not work (so no earlier result stays on show).
 *  camera: camera.js's live view, used by "Use camera" where the browser has one.
 * @param {(fileName: string, previewUrl: string | null, spotId: string | null) => void} onUploaded
 * @param {() => void} onFailed
 * @param {import("./camera.js").Camera} camera
 */
export function setUpUpload(onUploaded, onFailed, camera) {
  const form = $("upload-form", HTMLFormElement);
  const photo = $("photo", HTMLInputElement);
  const cameraInput = $("camera", HTMLInputElement);
  const zone = $("drop-zone");
  const preview = $("preview");
  const previewImg = $("preview-img", HTMLImageElement);
  const caption = $("preview-caption");
  const button = $("upload", HTMLButtonElement);
  const warning = $("photo-warning");
  const warningText = $("photo-warning-text");
  const spotSelect = $("spot-select", HTMLSelectElement);
  const heading = $("add-heading");
  // Set at once, so Upload right after choosing works.
  /** @type {{ file: File, decoded: Promise<ImageBitmap | null>, url: string | null } | null} */
  let chosen = null;

  function forget() {
    if (chosen?.url) URL.revokeObjectURL(chosen.url);
    chosen?.decoded.then((bitmap) => bitmap?.close());
    chosen = null;
    preview.hidden = true;
    previewImg.removeAttribute("src");
    warn(null);
    clearFieldError("photo-error", photo);
  }

  function warn(/** @type {string | null} */ reason) {
    // Emptied when hidden: the photo field's description still reads a hidden element's text.
    warningText.textContent = reason ? `${WARNINGS[reason]} You can upload it anyway: SpotCheck checks every photo too.` : "";
    warning.hidden = !reason;
  }

  function reset() {
    const spot = spotSelect.value; // the spot stays chosen for the next photo
    forget();
    form.reset();
    spotSelect.value = spot;
  }

  async function choose(/** @type {File | null} */ file) {
    forget();
    if (!file) return;
    /** @type {{ file: File, decoded: Promise<ImageBitmap | null>, url: string | null }} */
    const current = { file, decoded: decode(file), url: null };
    chosen = current;
    const bitmap = await current.decoded;
    if (chosen !== current) return; // another file was chosen meanwhile
    if (bitmap) {
      current.url = URL.createObjectURL(file);
      previewImg.src = current.url;
      caption.textContent = `${file.name || "Camera picture"}, ${formatSize(file.size)}, ${bitmap.width} × ${bitmap.height} pixels`;
    } else {
      caption.textContent = `${file.name}, ${formatSize(file.size)}. No preview: this browser cannot show it, but you can still upload it.`;
    }
    previewImg.hidden = !bitmap;
    preview.hidden = false;
    const reason = bitmap ? await photoProblem(bitmap) : null;
    if (chosen !== current) return;
    warn(reason);
    const name = file.name || "camera picture";
    if (reason) announce(`Chosen: ${name}. ${WARNINGS[reason]} Upload anyway, or choose another.`);
    else announce(`Chosen: ${name}. Press Upload to send it.`);
  }

  $("photo-warning-upload").addEventListener("click", () => form.requestSubmit());
  $("photo-warning-other").addEventListener("click", () => {
    reset();
    photo.focus();
    photo.click(); // opens the picker (on a phone it offers the camera too)
  });

  photo.addEventListener("change", () => {
    cameraInput.value = "";
    choose(photo.files?.[0] ?? null);
  });
  cameraInput.addEventListener("change", () => {
    photo.value = "";
    choose(cameraInput.files?.[0] ?? null);
  });
  $("camera-open").addEventListener("click", async () => {
    // The live view where the browser has a camera it may use; the phone's own camera app (or a
    // file picker on a desktop) otherwise, and after a refused permission.
    const opened = await camera.open(spotSelect.value || null, (file) => {
      photo.value = "";
      choose(file);
      button.focus();
    });
    if (!opened) cameraInput.click();
  });

  zone.addEventListener("dragover", (event) => {
    event.preventDefault();
    zone.classList.add("is-dragging");
  });
  zone.addEventListener("dragleave", () => zone.classList.remove("is-dragging"));
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    zone.classList.remove("is-dragging");
    const files = event.dataTransfer?.files;
    const file = files?.[0];
    if (!files || !file) return;
    cameraInput.value = "";
    photo.files = files; // so the picker names the dropped file
    choose(file);
  });

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearFieldError("photo-error", photo);
    if (!chosen) {
      showFieldError("photo-error", "Choose an image first: use Photo, the camera, or drag an image here.", photo);
      photo.focus();
      announce("No image chosen yet: see the message under Photo.", "error");
      return;
    }
    const sending = chosen;
    button.disabled = true;
    button.classList.add("is-sending");
    button.textContent = "Uploading…";
    announce("Uploading your image…");
    try {
      const file = await prepareForUpload(sending.file, await sending.decoded);
      const spotId = spotSelect.value || null;
      const accepted = await api.upload(file, sending.file.name || "camera.jpg", spotId, (sent, total) => {
        button.textContent = `Uploading… ${formatSize(sent)} of ${formatSize(total)}`;
        button.style.setProperty("--sent", `${Math.round((100 * sent) / Math.max(1, total))}%`);
      });
      const url = (await sending.decoded) ? URL.createObjectURL(file) : null;
      reset();
      onUploaded(accepted.fileName, url, spotId);
    } catch (error) {
      if (sessionEnded(error)) return; // main.js shows the sign-in form
      onFailed();
      showFieldError("photo-error", uploadMessage(error), photo);
      announce("The upload did not work: the reason is shown under Photo.", "error");
      photo.focus();
    } finally {
      button.disabled = false;
      button.classList.remove("is-sending");
      button.style.removeProperty("--sent");
      button.textContent = "Upload";
    }
  });

  /** The check screen for a photo of `spotId` (from a spot's "Add photo"), or of any spot. */
  function chooseSpot(/** @type {string | null} */ spotId) {
    const known = Boolean(spotId) && [...spotSelect.options].some((option) => option.value === spotId);
    if (known) spotSelect.value = spotId ?? "";
    const name = known ? spotSelect.selectedOptions[0]?.textContent : null;
    heading.textContent = name ? `Add a picture of ${name}` : "Check a spot";
  }

  return { reset, chooseSpot };
}
