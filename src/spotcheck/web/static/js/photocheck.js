// Focus and exposure of a photo before it is sent: the browser's twin of
// spotcheck/photocheck/quality.py (read its docstring for why these measures), computing the same
// statistics on a greyscale copy with the same long side, with constants from photo-limits.json.
// The canvas resamples a little differently from Pillow, so the page holds photos to the lenient
// "browser" limits and only warns; the server decides.

const CONSTANTS_URL = new URL("../photo-limits.json", import.meta.url);
const TAPS = [1 / 16, 4 / 16, 6 / 16, 4 / 16, 1 / 16];
const MARGIN = 8;
const COARSE_STEP = 4;
const REGULARISATION = 0.2;

/**
 * @typedef {{ min_bright_level: number, max_white_fraction: number, min_sharpness: number }} Limits
 * @typedef {{ measureSide: number, whiteLevel: number, brightQuantile: number, server: Limits, browser: Limits }} Constants
 * @typedef {{ sharpness: number, meanLevel: number, brightLevel: number, whiteFraction: number }} Stats
 * @typedef {"blurry" | "too-dark" | "too-bright"} Reason
 */

/** @type {Promise<Constants> | null} */
let constants = null;

/** The shared constants: measureSide, whiteLevel, brightQuantile and the server and browser limits. */
/** @returns {Promise<Constants>} */
export function loadConstants() {
  constants ??= fetch(CONSTANTS_URL).then((response) => {
    if (!response.ok) throw new Error(`photo limits: HTTP ${response.status}`);
    return response.json();
  });
  return constants;
}

/**
 * Check an ImageBitmap, image or canvas: {reason: null | "blurry" | "too-dark" | "too-bright",
 * sharpness, meanLevel, brightLevel, whiteFraction}.
 * @param {ImageBitmap | HTMLImageElement | HTMLCanvasElement} source
 * @returns {Promise<Stats & { reason: Reason | null }>}
 */
export async function checkPhoto(source) {
  const shared = await loadConstants();
  const { grey, width, height } = greyAtScale(source, shared.measureSide);
  const stats = measureGrey(grey, width, height, shared);
  return { reason: judge(stats, shared.browser), ...stats };
}

/** @param {ImageBitmap | HTMLImageElement | HTMLCanvasElement} source @param {number} side */
function greyAtScale(source, side) {
  const scale = side / Math.max(source.width, source.height);
  const width = Math.max(1, Math.round(source.width * scale));
  const height = Math.max(1, Math.round(source.height * scale));
  /** @type {CanvasRenderingContext2DSettings} */
  const options = { willReadFrequently: true };
  const context =
    typeof OffscreenCanvas === "undefined"
      ? Object.assign(document.createElement("canvas"), { width, height }).getContext("2d", options)
      : new OffscreenCanvas(width, height).getContext("2d", options);
  if (!context) throw new Error("This browser cannot draw the photo to measure it.");
  context.imageSmoothingQuality = "high";
  context.drawImage(source, 0, 0, width, height);
  return { grey: greyFromRgba(context.getImageData(0, 0, width, height).data), width, height };
}

/** ITU-R 601 luma of RGBA bytes, rounded as Pillow's convert("L") rounds it. */
export function greyFromRgba(/** @type {ArrayLike<number>} */ rgba) {
  const grey = new Uint8Array(rgba.length / 4);
  for (let i = 0; i < grey.length; i++) {
    const j = 4 * i;
    grey[i] = (rgba[j] * 19595 + rgba[j + 1] * 38470 + rgba[j + 2] * 7471 + 0x8000) >> 16;
  }
  return grey;
}

/** The statistics of quality.measure_grey, for greyscale bytes already at the measurement scale. */
/**
 * @param {Uint8Array} grey
 * @param {number} width
 * @param {number} height
 * @param {{ whiteLevel: number, brightQuantile: number }} levels
 * @returns {Stats}
 */
export function measureGrey(grey, width, height, { whiteLevel, brightQuantile }) {
  const histogram = new Float64Array(256);
  for (const level of grey) histogram[level] += 1;
  let sum = 0;
  let white = 0;
  for (let level = 0; level < 256; level++) {
    sum += histogram[level] * level;
    if (level >= whiteLevel) white += histogram[level];
  }
  let bright = 0;
  for (let cumulative = histogram[0]; cumulative < brightQuantile * grey.length; cumulative += histogram[bright]) {
    bright += 1;
  }
  return {
    sharpness: sharpness(Float64Array.from(grey, (level) => level / 255), width, height),
    meanLevel: sum / grey.length / 255,
    brightLevel: bright / 255,
    whiteFraction: white / grey.length,
  };
}

/** The reason the limits refuse these statistics, or null: the order of quality.judge_quality. */
/** @param {Stats} stats @param {Limits} limits @returns {Reason | null} */
export function judge(stats, limits) {
  if (stats.brightLevel < limits.min_bright_level) return "too-dark";
  if (stats.whiteFraction > limits.max_white_fraction) return "too-bright";
  if (stats.sharpness < limits.min_sharpness) return "blurry";
  return null;
}

/** @param {Float64Array} image @param {number} width @param {number} height @param {number} step */
function smooth(image, width, height, step) {
  const across = new Float64Array(image.length);
  const out = new Float64Array(image.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let total = 0;
      for (let i = 0; i < 5; i++) {
        total += TAPS[i] * image[y * width + Math.min(width - 1, Math.max(0, x + (i - 2) * step))];
      }
      across[y * width + x] = total;
    }
  }
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let total = 0;
      for (let i = 0; i < 5; i++) {
        total += TAPS[i] * across[Math.min(height - 1, Math.max(0, y + (i - 2) * step)) * width + x];
      }
      out[y * width + x] = total;
    }
  }
  return out;
}

/** @param {Float64Array} band @param {number} width @param {number} height @param {number} step */
function gradientTensor(band, width, height, step) {
  let xx = 0;
  let xy = 0;
  let yy = 0;
  for (let y = MARGIN; y < height - MARGIN; y++) {
    for (let x = MARGIN; x < width - MARGIN; x++) {
      const gx = band[y * width + x + step] - band[y * width + x - step];
      const gy = band[(y + step) * width + x] - band[(y - step) * width + x];
      xx += gx * gx;
      xy += gx * gy;
      yy += gy * gy;
    }
  }
  const n = (height - 2 * MARGIN) * (width - 2 * MARGIN);
  return [xx / n, xy / n, yy / n];
}

/** @param {Float64Array} image @param {number} width @param {number} height */
function sharpness(image, width, height) {
  if (Math.min(width, height) <= 2 * MARGIN) return 0;
  const s1 = smooth(image, width, height, 1);
  const s2 = smooth(s1, width, height, 2);
  const s8 = smooth(smooth(s2, width, height, 4), width, height, 8);
  const [f11, f12, f22] = gradientTensor(
    image.map((v, i) => v - s1[i]),
    width,
    height,
    1,
  );
  let [c11, c12, c22] = gradientTensor(
    s2.map((v, i) => v - s8[i]),
    width,
    height,
    COARSE_STEP,
  );
  const ridge = (REGULARISATION * (c11 + c22)) / 2;
  c11 += ridge;
  c22 += ridge;
  const a = c11 * c22 - c12 * c12;
  if (a <= 1e-18) return 0;
  const b = f11 * c22 + f22 * c11 - 2 * f12 * c12;
  const c = f11 * f22 - f12 * f12;
  const denominator = b + Math.sqrt(Math.max(b * b - 4 * a * c, 0));
  const smallest = denominator > 0 ? (2 * c) / denominator : 0;
  return Math.sqrt(Math.max(smallest, 0));
}
