// Shrink very large photos in the browser before sending them: phone cameras take 12+ MP
// images, the model looks at a few hundred pixels, and a smaller upload is faster on mobile data.
// Re-encoding also drops the photo's metadata (location, camera) before it leaves the device.

export const MAX_SIDE = 2048;
const SEND_AS_IS_BYTES = 4_000_000;

/** The image decoded for preview and resizing, or null when this browser cannot decode it (HEIC, say). */
export async function decode(/** @type {Blob} */ file) {
  try {
    return await createImageBitmap(file, { imageOrientation: "from-image" });
  } catch {
    return null;
  }
}

/** The file to upload: the original when it is small enough, else a JPEG with its longest side at MAX_SIDE. */
export async function prepareForUpload(/** @type {File} */ file, /** @type {ImageBitmap | null} */ bitmap) {
  if (!bitmap) return file;
  const longest = Math.max(bitmap.width, bitmap.height);
  if (longest <= MAX_SIDE && file.size <= SEND_AS_IS_BYTES) return file;
  const scale = Math.min(1, MAX_SIDE / longest);
  const width = Math.round(bitmap.width * scale);
  const height = Math.round(bitmap.height * scale);
  const canvas = document.createElement("canvas");
  canvas.width = width;
  canvas.height = height;
  const context = canvas.getContext("2d");
  if (!context) return file;
  context.drawImage(bitmap, 0, 0, width, height);
  /** @type {Blob | null} */
  const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", 0.9));
  return blob ?? file;
}
