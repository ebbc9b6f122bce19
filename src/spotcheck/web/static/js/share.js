// The read-only page behind a share link (/share/<token>): one spot, its photos and results,
// the report; no sign-in, no upload, no delete.

import { api, paths } from "./api.js";
import { announce } from "./announce.js";
import { $, failedWith, messageOf } from "./page.js";
import { renderSpot } from "./timeline.js";

const token = decodeURIComponent(location.pathname.replace(/^\/share\//, "").replace(/\/$/, ""));

try {
  const spot = await api.shared(token);
  renderSpot(spot, {
    urls: { thumbnail: (fileName) => paths.sharedImage(token, fileName), image: (fileName) => paths.sharedImage(token, fileName) },
    editable: false,
  });
  const report = $("spot-report", HTMLAnchorElement);
  report.href = paths.sharedReport(token);
  report.setAttribute("download", `${spot.name}.pdf`);
  $("shared-spot").hidden = false;
  document.title = `${spot.name}: a shared spot on SpotCheck`;
} catch (error) {
  $("shared-gone").hidden = false;
  if (!failedWith(error, 404, 410)) announce(messageOf(error), "error");
} finally {
  $("loading").hidden = true;
}
