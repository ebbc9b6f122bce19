// The one place the page talks to the SpotCheck API. The session lives in an HttpOnly cookie
// the page cannot read; the CSRF token that goes with it is kept in memory only.

let csrfToken = null;
let onSessionLost = () => {};

/** Called when a request that needs the session is refused with 401 (it expired, say). */
export function whenSessionLost(callback) {
  onSessionLost = callback;
}

/** An API answer that was not a success, with a message fit to show a person. */
export class ApiError extends Error {
  constructor(status, message, detail = null, retryAfter = null) {
    super(message);
    this.name = "ApiError";
    this.status = status; // 0 when the server could not be reached
    this.detail = detail; // the API's own `detail` (a string, or pydantic's list)
    this.retryAfter = retryAfter; // ms the server asked to wait (429, 503), or null
  }
}

const GENERIC = {
  0: "SpotCheck could not be reached. Check your internet connection and try again.",
  401: "Your session has ended. Please sign in again.",
  403: "SpotCheck refused this request. Reload the page and try again.",
  404: "That item no longer exists.",
  413: "This file is too large to upload.",
  415: "This file is not an image SpotCheck can read.",
  422: "This image could not be read.",
};

function messageFor(status, detail) {
  if (typeof detail === "string" && detail) return detail;
  if (GENERIC[status]) return GENERIC[status];
  if (status >= 500) return `SpotCheck had a problem on its side (error ${status}). Please try again in a moment.`;
  return `Something went wrong (error ${status}). Please try again.`;
}

async function request(method, path, { json, body, expect = "json" } = {}) {
  const headers = { Accept: "application/json" };
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

function failure(path, status, detail, headers) {
  // A 401 from signing in is a wrong password; anywhere else the session has ended.
  if (status === 401 && !path.startsWith("/ui/session") && path !== "/auth/token") {
    csrfToken = null;
    onSessionLost();
  }
  return new ApiError(status, messageFor(status, detail), detail, retryAfterMs(headers));
}

/** POST a form with XMLHttpRequest, the one browser API that reports upload progress:
 *  onProgress(sentBytes, totalBytes) while the body goes out. */
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
      const headers = { get: (name) => xhr.getResponseHeader(name) };
      if (xhr.status >= 200 && xhr.status < 300) resolve(body);
      else reject(failure(path, xhr.status, body?.detail ?? null, headers));
    });
    xhr.send(form);
  });
}

/** Every item of a paged list (limit/offset, with `total` in each answer); a server that does
 *  not page answers everything at once, which ends the loop too. */
async function everyPage(path) {
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
export function retryAfterMs(headers) {
  const value = headers?.get("Retry-After");
  if (!value) return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const when = Date.parse(value);
  return Number.isNaN(when) ? null : Math.max(0, when - Date.now());
}

const segment = (name) => encodeURIComponent(name);

function remember(session) {
  csrfToken = session.csrfToken;
  return session;
}

export const api = {
  async currentSession() {
    return remember((await request("GET", "/ui/session")).data);
  },
  async signIn(email, password) {
    return remember((await request("POST", "/ui/session", { json: { email, password } })).data);
  },
  /** How one signs in here: { oidc: { name, loginUrl } | null, localAccounts }. */
  async providers() {
    return (await request("GET", "/auth/providers")).data;
  },
  async changePassword(currentPassword, newPassword) {
    await request("POST", "/auth/password", { json: { currentPassword, newPassword } });
  },
  async register(email, password) {
    return (await request("POST", "/auth/register", { json: { email, password } })).data;
  },
  /** Ends the session; if that fails (the server out of reach, say) the page stays signed in and working. */
  async signOut() {
    await request("DELETE", "/ui/session");
    csrfToken = null;
  },
  forget() {
    csrfToken = null;
  },
  /** onProgress(sentBytes, totalBytes) follows the upload. */
  async upload(file, fileName, spotId = null, onProgress = () => {}) {
    const form = new FormData();
    form.append("file", file, fileName);
    if (spotId) form.append("spotId", spotId);
    return sendWithProgress("/images", form, onProgress);
  },
  /** Put a photo into a spot (or, with null, out of any). */
  async moveImage(fileName, spotId) {
    return (await request("PUT", `/images/${segment(fileName)}/spot`, { json: { spotId } })).data;
  },
  /** Where the model looked (a greyscale PNG), or null when the server has none for this photo. */
  async heatmapBlob(fileName) {
    try {
      return (await request("GET", `/images/${segment(fileName)}/heatmap`, { expect: "blob" })).data;
    } catch (error) {
      if (error instanceof ApiError && error.status !== 401) return null;
      throw error;
    }
  },
  /** {status: 200, data: result, headers} or {status: 202, data: {status: "pending"}, headers}. */
  async detect(fileName) {
    return request("GET", `/detect/${segment(fileName)}`);
  },
  async listImages(limit, offset) {
    return (await request("GET", `/images?limit=${limit}&offset=${offset}`)).data;
  },
  async imageBlob(fileName) {
    return (await request("GET", `/images/${segment(fileName)}`, { expect: "blob" })).data;
  },
  async thumbnailBlob(fileName) {
    return (await request("GET", `/images/${segment(fileName)}/thumbnail`, { expect: "blob" })).data;
  },
  async deleteImage(fileName) {
    await request("DELETE", `/images/${segment(fileName)}`);
  },
  /** The serving model's version and error rates (public). */
  async model() {
    return (await request("GET", "/model")).data;
  },
  async listSpots() {
    return everyPage("/spots");
  },
  async createSpot(name, bodySite) {
    return (await request("POST", "/spots", { json: { name, bodySite } })).data;
  },
  async spot(spotId) {
    return (await request("GET", `/spots/${segment(spotId)}`)).data;
  },
  async renameSpot(spotId, name) {
    return (await request("PATCH", `/spots/${segment(spotId)}`, { json: { name } })).data;
  },
  async deleteSpot(spotId) {
    await request("DELETE", `/spots/${segment(spotId)}`);
  },
  async saveAnswers(fileName, answers) {
    return (await request("PUT", `/images/${segment(fileName)}/answers`, { json: answers })).data;
  },
  async createShare(spotId) {
    return (await request("POST", `/spots/${segment(spotId)}/shares`, { json: { expiresInDays: 14 } })).data;
  },
  async listShares(spotId) {
    return (await request("GET", `/spots/${segment(spotId)}/shares`)).data;
  },
  async stopSharing(spotId) {
    await request("DELETE", `/spots/${segment(spotId)}/shares`);
  },
  async reminders() {
    return everyPage("/reminders");
  },
  async account() {
    return (await request("GET", "/account")).data;
  },
  async deleteAccount(password) {
    await request("DELETE", "/account", { json: { password } });
  },
  /** A shared spot, read-only, by the token in its link (no sign-in). */
  async shared(token) {
    return (await request("GET", `/shared/${segment(token)}`)).data;
  },
};

export const paths = {
  report: (spotId) => `/spots/${segment(spotId)}/report.pdf?tz=${encodeURIComponent(timeZone())}`,
  sharedReport: (token) => `/shared/${segment(token)}/report.pdf?tz=${encodeURIComponent(timeZone())}`,
  sharedImage: (token, fileName) => `/shared/${segment(token)}/images/${segment(fileName)}`,
};
