// Guided capture: a live view of the rear camera with a circle to put the spot in, the page's
// focus and light checks (photocheck.js) run on the live picture about twice a second, and a
// shutter. For a new photo of a spot, that spot's last photo shows faintly over the live view, to
// line the new one up. Without a camera the page may use, "Use camera" falls back to the file input.

import { $ } from "./page.js";

const CHECK_EVERY_MS = 600;

/** @type {Record<string, string>} */
const ADVICE = {
  blurry: "Too blurry: hold still, about 10 cm away, and tap the spot to focus.",
  "too-dark": "Too dark: move into daylight, with no shadow over the spot.",
  "too-bright": "Too bright: move out of direct sunlight; no flash.",
};
const READY = "Sharp and well lit: take the photo when the spot is inside the circle.";

/** The video's current picture on a canvas, its longest side `side` (or as it is). */
function frame(/** @type {HTMLVideoElement} */ video, /** @type {number | null} */ side = null) {
  const scale = side ? side / Math.max(video.videoWidth, video.videoHeight) : 1;
  const canvas = document.createElement("canvas");
  canvas.width = Math.max(1, Math.round(video.videoWidth * scale));
  canvas.height = Math.max(1, Math.round(video.videoHeight * scale));
  canvas.getContext("2d")?.drawImage(video, 0, 0, canvas.width, canvas.height);
  return canvas;
}

/**
 * @typedef {{ open(spotId: string | null, onPhoto: (file: File) => void): Promise<boolean>, close(): void }} Camera
 */

/** {open(spotId, onPhoto): Promise<boolean>, close()}; open resolves false when there is no camera to use.
 *  @param {{ lastPhotoOf: (spotId: string) => string | null }} options
 *  @returns {Camera} */
export function setUpCamera({ lastPhotoOf }) {
  const view = $("camera-view");
  const video = $("camera-video", HTMLVideoElement);
  const ghost = $("camera-ghost", HTMLImageElement);
  const advice = $("camera-advice");
  /** @type {MediaStream | null} */
  let stream = null;
  /** @type {ReturnType<typeof setInterval> | undefined} */
  let timer;
  /** @type {(file: File) => void} */
  let deliver = () => {};

  function close() {
    clearInterval(timer);
    timer = undefined;
    stream?.getTracks().forEach((track) => track.stop());
    stream = null;
    video.srcObject = null;
    ghost.hidden = true;
    ghost.removeAttribute("src");
    view.hidden = true;
  }

  async function check() {
    if (!stream || video.readyState < 2) return;
    try {
      const { checkPhoto } = await import("./photocheck.js");
      const { reason } = await checkPhoto(frame(video, 256));
      const words = (reason && ADVICE[reason]) ?? READY;
      if (advice.textContent !== words) advice.textContent = words;
      advice.dataset.ok = String(!reason);
    } catch {
      // the checks are a courtesy; the shutter works without them
    }
  }

  /** @param {string | null} spotId @param {(file: File) => void} onPhoto */
  async function open(spotId, onPhoto) {
    if (!navigator.mediaDevices?.getUserMedia) return false;
    close();
    try {
      stream = await navigator.mediaDevices.getUserMedia({
        video: { facingMode: { ideal: "environment" }, width: { ideal: 1920 }, height: { ideal: 1080 } },
        audio: false,
      });
    } catch {
      stream = null;
      return false; // refused, or no camera: the file picker takes over
    }
    deliver = onPhoto;
    video.srcObject = stream;
    const last = spotId ? lastPhotoOf(spotId) : null;
    ghost.hidden = !last;
    if (last) ghost.src = last;
    advice.textContent = "Put the spot inside the circle, about 10 cm away.";
    view.hidden = false;
    await video.play().catch(() => {});
    timer = setInterval(check, CHECK_EVERY_MS);
    $("camera-shutter").focus();
    return true;
  }

  $("camera-shutter").addEventListener("click", () => {
    if (!stream || video.readyState < 2) return;
    frame(video).toBlob(
      (blob) => {
        if (!blob) return;
        close();
        deliver(new File([blob], "camera.jpg", { type: "image/jpeg" }));
      },
      "image/jpeg",
      0.92,
    );
  });
  $("camera-close").addEventListener("click", () => {
    close();
    $("camera-open").focus();
  });

  return { open, close };
}
