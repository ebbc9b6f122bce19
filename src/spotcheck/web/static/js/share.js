// The read-only page behind a share link (/share/<token>): one spot, its photos and results,
// the report; no sign-in, no upload, no delete.

import { api, ApiError, paths } from "./api.js";
import { announce } from "./announce.js";
import { renderSpot } from "./timeline.js";

const $ = (id) => document.getElementById(id);
const token = decodeURIComponent(location.pathname.replace(/^\/share\//, "").replace(/\/$/, ""));

const IDS = {
  heading: "spot-heading",
  site: "spot-site",
  summary: "spot-summary",
  changes: "spot-changes",
  compare: "compare",
  timeline: "spot-timeline",
};

try {
  const spot = await api.shared(token);
  renderSpot(spot, {
    urls: { thumbnail: (fileName) => paths.sharedImage(token, fileName), image: (fileName) => paths.sharedImage(token, fileName) },
    editable: false,
    ids: IDS,
  });
  $("spot-report").href = paths.sharedReport(token);
  $("spot-report").setAttribute("download", `${spot.name}.pdf`);
  $("shared-spot").hidden = false;
  document.title = `${spot.name}: a shared spot on SpotCheck`;
} catch (error) {
  $("shared-gone").hidden = false;
  if (!(error instanceof ApiError && (error.status === 404 || error.status === 410))) announce(error.message, "error");
} finally {
  $("loading").hidden = true;
}
