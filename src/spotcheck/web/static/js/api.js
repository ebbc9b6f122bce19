// The one place the page talks to the SpotCheck API. The session lives in an HttpOnly cookie
// the page cannot read; the CSRF token that goes with it is kept in memory only.

// The API's answers, as the page reads them (camelCase, as api/schemas.py and
// api/spot_schemas.py write them; dates are ISO 8601 strings).
/**
 * @typedef {"MALIGNANT" | "BENIGN"} Classification
 * @typedef {{ email: string | null, csrfToken: string }} Session
 * @typedef {{ oidc: { name: string, loginUrl: string } | null, localAccounts: boolean }} Providers
 * @typedef {{ reason: string, message: string, tip?: string }} Refusal
 * @typedef {{
 *   fileName: string, status: "pending" | "done" | "failed" | "refused", uploadedAt: string,
 *   classification: Classification | null, refusal: Refusal | null, spotId?: string | null,
 * }} ImageItem
 * @typedef {{ items: ImageItem[], total: number }} ImageList
 * @typedef {{ fileName: string, status: "pending" }} UploadAccepted
 * @typedef {{
 *   fileName: string, status: "done", classification: Classification, recommendation: string,
 *   malignantProbability: number, threshold?: number | null, modelVersion: string, classifiedAt: string,
 *   spotId?: string | null,
 * }} DetectionResult
 * @typedef {{
 *   fileName: string, status: "refused", reason: string, message: string, tip: string,
 *   modelVersion: string, checkedAt: string, spotId?: string | null,
 * }} DetectionRefused
 * @typedef {{ fileName: string, status: "pending", spotId?: string | null }} DetectionPending
 * @typedef {DetectionResult | DetectionRefused | DetectionPending} Detection
 * @typedef {{ version: string, threshold: number | null, dermatoscopicThreshold?: number | null, flaggedHarmlessShare: Record<string, number>, sensitivity: Record<string, number> }} ModelFacts
 * @typedef {{ view: "front" | "back", x: number, y: number }} BodySite
 * @typedef {"worrying" | "reassuring" | "unusable" | "pending" | "none"} SummaryLevel
 * @typedef {{ level: SummaryLevel, message: string }} Summary
 * @typedef {{ id: string, name: string, bodySite: BodySite | null, imageCount: number, summary: Summary | null }} Spot
 * @typedef {Partial<Record<"grown" | "changed" | "bleeds" | "itches" | "hurts" | "raised", boolean | null>>} Answers
 * @typedef {ImageItem & { answers: Answers | null, measures?: { areaFraction: number } | null }} TimelineEntry
 * @typedef {{ from: string, to: string, kind: string, message: string, notable: boolean, fromUploadedAt?: string, toUploadedAt?: string }} Change
 * @typedef {Spot & { images: TimelineEntry[], changes: Change[] }} SpotDetail
 * @typedef {{ token: string, url: string, expiresAt: string }} ShareCreated
 * @typedef {{ items: { id: string }[] }} ShareList
 * @typedef {{ kind: string, spotId: string | null, due: string, title: string }} Reminder
 * @typedef {{ email: string | null, signInMethod: string }} Account
 * @typedef {{ get(name: string): string | null }} HeaderSource
 */

/** @type {string | null} */
let csrfToken = null;
let onSessionLost = () => {};

/** Called when a request that needs the session is refused with 401 (it expired, say). */
export function whenSessionLost(/** @type {() => void} */ callback) {
  onSessionLost = callback;
}

/** An API answer that was not a success, with a message fit to show a person. */
export class ApiError extends Error {
  /**
   * @param {number} status
   * @param {string} message
   * @param {unknown} [detail]
   * @param {number | null} [retryAfter]
   */
  constructor(status, message, detail = null, retryAfter = null) {
    super(message);
    this.name = "ApiError";
    this.status = status; // 0 when the server could not be reached
    this.detail = detail; // the API's own `detail` (a string, or pydantic's list)
    this.retryAfter = retryAfter; // ms the server asked to wait (429, 503), or null
  }
}

/** @type {Record<number, string>} */
const GENERIC = {
  0: "SpotCheck could not be reached. Check your internet connection and try again.",
  401: "Your session has ended. Please sign in again.",
  403: "SpotCheck refused this request. Reload the page and try again.",
  404: "That item no longer exists.",
  413: "This file is too large to upload.",
  415: "This file is not an image SpotCheck can read.",
  422: "This image could not be read.",
};

/** @param {number} status @param {unknown} detail */
function messageFor(status, detail) {
  if (typeof detail === "string" && detail) return detail;
  if (GENERIC[status]) return GENERIC[status];
  if (status >= 500) return `SpotCheck had a problem on its side (error ${status}). Please try again in a moment.`;
  return `Something went wrong (error ${status}). Please try again.`;
}

/**
 * One call to the API. `data` is the answer as the server sent it (`any`: the JSON boundary);
 * each method of `api` below declares the type it returns.
 * @param {string} method
 * @param {string} path
 * @param {{ json?: unknown, expect?: "json" | "blob" }} [options]
 * @returns {Promise<{ status: number, data: any, headers: Headers }>}
 */
async function request(method, path, { json, expect = "json" } = {}) {
  /** @type {Record<string, string>} */
  const headers = { Accept: "application/json" };
  /** @type {string | undefined} */
  let body;
  if (json !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(json);
  }
  if (method !== "GET" && csrfToken) headers["X-CSRF-Token"] = csrfToken;
  let response;
  try {
    response = await fetch(path, { method, headers, body, credentials: "same-origin", cache: "no-store" });
  } catch {
    throw new ApiError(0, GENERIC[0]);
  }
  if (!response.ok) {
    let detail = null;
    try {
      detail = (await response.json()).detail ?? null;
    } catch {
      // not JSON: a proxy's error page, say
    }
    throw failure(path, response.status, detail, response.headers);
  }
  if (response.status === 204) return { status: 204, data: null, headers: response.headers };
  const data = expect === "blob" ? await response.blob() : await response.json();
  return { status: response.status, data, headers: response.headers };
}

/** @param {string} path @param {number} status @param {unknown} detail @param {HeaderSource} headers */
function failure(path, status, detail, headers) {
  // A 401 from signing in is a wrong password; anywhere else the session has ended.
  if (status === 401 && !path.startsWith("/ui/session") && path !== "/auth/token") {
    csrfToken = null;
    onSessionLost();
  }
  return new ApiError(status, messageFor(status, detail), detail, retryAfterMs(headers));
}

/** POST a form with XMLHttpRequest, the one browser API that reports upload progress:
 *  onProgress(sentBytes, totalBytes) while the body goes out.
 * @param {string} path
 * @param {FormData} form
 * @param {(sent: number, total: number) => void} onProgress
 * @returns {Promise<any>}
 */
function sendWithProgress(path, form, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", path);
    xhr.withCredentials = true;
    xhr.setRequestHeader("Accept", "application/json");
    if (csrfToken) xhr.setRequestHeader("X-CSRF-Token", csrfToken);
    xhr.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable) onProgress(event.loaded, event.total);
    });
    xhr.addEventListener("error", () => reject(new ApiError(0, GENERIC[0])));
    xhr.addEventListener("load", () => {
      let body = null;
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        // not JSON: a proxy's error page, say
      }
      /** @type {HeaderSource} */
      const headers = { get: (name) => xhr.getResponseHeader(name) };
      if (xhr.status >= 200 && xhr.status < 300) resolve(body);
      else reject(failure(path, xhr.status, body?.detail ?? null, headers));
    });
    xhr.send(form);
  });
}

/** Every item of a paged list (limit/offset, with `total` in each answer); a server that does
 *  not page answers everything at once, which ends the loop too.
 * @param {string} path
 * @returns {Promise<{ items: any[], total: number }>}
 */
async function everyPage(path) {
  /** @type {any[]} */
  const items = [];
  for (;;) {
    const join = path.includes("?") ? "&" : "?";
    const page = (await request("GET", `${path}${join}limit=100&offset=${items.length}`)).data;
    items.push(...page.items);
    if (typeof page.total !== "number" || page.items.length === 0 || items.length >= page.total) {
      return { ...page, items, total: Math.max(items.length, page.total ?? 0) };
    }
  }
}

/** The person's time zone (an IANA name), for dates in reports. */
export const timeZone = () => Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";

/** Retry-After in milliseconds (seconds or an HTTP date), or null when absent or unreadable. */
export function retryAfterMs(/** @type {HeaderSource | null | undefined} */ headers) {
  const value = headers?.get("Retry-After");
  if (!value) return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const when = Date.parse(value);
  return Number.isNaN(when) ? null : Math.max(0, when - Date.now());
}

const segment = (/** @type {string} */ name) => encodeURIComponent(name);

/** @param {Session} session */
function remember(session) {
  csrfToken = session.csrfToken;
  return session;
}

export const api = {
  /** @returns {Promise<Session>} */
  async currentSession() {
    return remember((await request("GET", "/ui/session")).data);
  },
  /** @param {string} email @param {string} password @returns {Promise<Session>} */
  async signIn(email, password) {
    return remember((await request("POST", "/ui/session", { json: { email, password } })).data);
  },
  /** How one signs in here. @returns {Promise<Providers>} */
  async providers() {
    return (await request("GET", "/auth/providers")).data;
  },
  /** @param {string} currentPassword @param {string} newPassword */
  async changePassword(currentPassword, newPassword) {
    await request("POST", "/auth/password", { json: { currentPassword, newPassword } });
  },
  /** @param {string} email @param {string} password */
  async register(email, password) {
    await request("POST", "/auth/register", { json: { email, password } });
  },
  /** Ends the session; if that fails (the server out of reach, say) the page stays signed in and working. */
  async signOut() {
    await request("DELETE", "/ui/session");
    csrfToken = null;
  },
  /**
   * onProgress(sentBytes, totalBytes) follows the upload.
   * @param {Blob} file
   * @param {string} fileName
   * @param {string | null} [spotId]
   * @param {(sent: number, total: number) => void} [onProgress]
   * @returns {Promise<UploadAccepted>}
   */
  async upload(file, fileName, spotId = null, onProgress = () => {}) {
    const form = new FormData();
    form.append("file", file, fileName);
    if (spotId) form.append("spotId", spotId);
    return sendWithProgress("/images", form, onProgress);
  },
  /** Put a photo into a spot (or, with null, out of any). @param {string} fileName @param {string | null} spotId */
  async moveImage(fileName, spotId) {
    await request("PUT", `/images/${segment(fileName)}/spot`, { json: { spotId } });
  },
  /** Where the model looked (a greyscale PNG), or null when the server has none for this photo.
   *  @param {string} fileName @returns {Promise<Blob | null>} */
  async heatmapBlob(fileName) {
    try {
      return (await request("GET", `/images/${segment(fileName)}/heatmap`, { expect: "blob" })).data;
    } catch (error) {
      if (error instanceof ApiError && error.status !== 401) return null;
      throw error;
    }
  },
  /** {status: 200, data: result, headers} or {status: 202, data: {status: "pending"}, headers}.
   *  @param {string} fileName @returns {Promise<{ status: number, data: Detection, headers: Headers }>} */
  async detect(fileName) {
    return request("GET", `/detect/${segment(fileName)}`);
  },
  /** @param {number} limit @param {number} offset @returns {Promise<ImageList>} */
  async listImages(limit, offset) {
    return (await request("GET", `/images?limit=${limit}&offset=${offset}`)).data;
  },
  /** @param {string} fileName @returns {Promise<Blob>} */
  async imageBlob(fileName) {
    return (await request("GET", paths.image(fileName), { expect: "blob" })).data;
  },
  /** @param {string} fileName @returns {Promise<Blob>} */
  async thumbnailBlob(fileName) {
    return (await request("GET", paths.thumbnail(fileName), { expect: "blob" })).data;
  },
  /** @param {string} fileName */
  async deleteImage(fileName) {
    await request("DELETE", `/images/${segment(fileName)}`);
  },
  /** The serving model's version and error rates (public). @returns {Promise<ModelFacts>} */
  async model() {
    return (await request("GET", "/model")).data;
  },
  /** @returns {Promise<{ items: Spot[], total: number }>} */
  async listSpots() {
    return everyPage("/spots");
  },
  /** @param {string} name @param {BodySite | null} bodySite @returns {Promise<Spot>} */
  async createSpot(name, bodySite) {
    return (await request("POST", "/spots", { json: { name, bodySite } })).data;
  },
  /** @param {string} spotId @returns {Promise<SpotDetail>} */
  async spot(spotId) {
    return (await request("GET", `/spots/${segment(spotId)}`)).data;
  },
  /** @param {string} spotId @param {string} name @returns {Promise<Spot>} */
  async renameSpot(spotId, name) {
    return (await request("PATCH", `/spots/${segment(spotId)}`, { json: { name } })).data;
  },
  /** @param {string} spotId */
  async deleteSpot(spotId) {
    await request("DELETE", `/spots/${segment(spotId)}`);
  },
  /** @param {string} fileName @param {Answers} answers */
  async saveAnswers(fileName, answers) {
    await request("PUT", `/images/${segment(fileName)}/answers`, { json: answers });
  },
  /** @param {string} spotId @returns {Promise<ShareCreated>} */
  async createShare(spotId) {
    return (await request("POST", `/spots/${segment(spotId)}/shares`, { json: { expiresInDays: 14 } })).data;
  },
  /** @param {string} spotId @returns {Promise<ShareList>} */
  async listShares(spotId) {
    return (await request("GET", `/spots/${segment(spotId)}/shares`)).data;
  },
  /** @param {string} spotId */
  async stopSharing(spotId) {
    await request("DELETE", `/spots/${segment(spotId)}/shares`);
  },
  /** @returns {Promise<{ items: Reminder[], total: number }>} */
  async reminders() {
    return everyPage("/reminders");
  },
  /** @returns {Promise<Account>} */
  async account() {
    return (await request("GET", "/account")).data;
  },
  /** @param {string | null} password */
  async deleteAccount(password) {
    await request("DELETE", "/account", { json: { password } });
  },
  /** A shared spot, read-only, by the token in its link (no sign-in); the summary's times in the viewer's zone.
   *  @param {string} token @returns {Promise<SpotDetail>} */
  async shared(token) {
    return (await request("GET", `/shared/${segment(token)}?tz=${encodeURIComponent(timeZone())}`)).data;
  },
};

/** Addresses the page puts into links and images itself (the browser fetches them). */
export const paths = {
  image: (/** @type {string} */ fileName) => `/images/${segment(fileName)}`,
  thumbnail: (/** @type {string} */ fileName) => `/images/${segment(fileName)}/thumbnail`,
  report: (/** @type {string} */ spotId) => `/spots/${segment(spotId)}/report.pdf?tz=${encodeURIComponent(timeZone())}`,
  sharedReport: (/** @type {string} */ token) => `/shared/${segment(token)}/report.pdf?tz=${encodeURIComponent(timeZone())}`,
  sharedImage: (/** @type {string} */ token, /** @type {string} */ fileName) => `/shared/${segment(token)}/images/${segment(fileName)}`,
};
