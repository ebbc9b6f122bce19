// One spot's page for its owner: timeline, comparison, changes, questions, the report, and a
// read-only link to share with a doctor (which the owner can stop).

import { api, ApiError, paths } from "./api.js";
import { announce } from "./announce.js";
import { confirmWith } from "./confirm.js";
import { clearFieldError, enableAgain, showFieldError } from "./fields.js";
import { formatDate } from "./format.js";
import { screenPaths } from "./router.js";
import { spotNameProblem } from "./spots.js";
import { renderSpot, renderSummary } from "./timeline.js";

const $ = (id) => document.getElementById(id);
const segment = (name) => encodeURIComponent(name);

const OWNER_URLS = {
  thumbnail: (fileName) => `/images/${segment(fileName)}/thumbnail`,
  image: (fileName) => `/images/${segment(fileName)}`,
};
const IDS = {
  heading: "spot-heading",
  site: "spot-site",
  summary: "spot-summary",
  changes: "spot-changes",
  compare: "compare",
  timeline: "spot-timeline",
};

export class SpotView {
  constructor({ onDeleted, onRenamed }) {
    this.spotId = null;
    this.fileNames = [];
    this.run = 0;
    this.onDeleted = onDeleted;
    this.onRenamed = onRenamed;
    $("spot-rename").addEventListener("click", () => this.toggleRename(true));
    $("spot-rename-cancel").addEventListener("click", () => {
      this.toggleRename(false);
      $("spot-rename").focus();
    });
    $("spot-rename-name").addEventListener("input", () => clearFieldError("spot-rename-error", $("spot-rename-name")));
    $("spot-rename-form").addEventListener("submit", (event) => {
      event.preventDefault();
      this.rename();
    });
    $("share-create").addEventListener("click", () => this.share());
    $("share-stop").addEventListener("click", () => this.stopSharing());
    $("share-copy").addEventListener("click", () => this.copyLink());
    $("share-send").addEventListener("click", () => this.sendLink());
    $("spot-delete").addEventListener("click", () => this.deleteSpot());
    this.refreshWanted = false;
    // A refresh waits while the patient is ticking answers, so that no tick is lost to a redraw.
    // Saved answers can change the summary (a warning sign makes it worrying): that part is
    // redrawn at once, the forms and the focus stay.
    $("spot-view").addEventListener("answers-saved", () => {
      if (this.refreshWanted && !this.answering()) {
        this.refreshWanted = false;
        this.refresh();
      } else {
        this.refreshSummary();
      }
    });
  }

  answering() {
    return $("spot-view").querySelector("form.answers[data-unsaved]") !== null;
  }

  /** Show spot `spotId`; focus its heading unless this is a refresh. */
  async open(spotId, { focus = true } = {}) {
    const run = ++this.run;
    if (spotId !== this.spotId) {
      this.showShare(null, false);
      this.toggleRename(false);
    }
    this.spotId = spotId;
    try {
      const spot = await api.spot(spotId);
      if (run !== this.run) return;
      this.fileNames = spot.images.map((image) => image.fileName);
      renderSpot(spot, { urls: OWNER_URLS, editable: true, ids: IDS });
      $("spot-report").href = paths.report(spotId);
      $("spot-report").setAttribute("download", `${spot.name}.pdf`);
      $("spot-add-photo").href = screenPaths.check(spotId);
      if (focus) $("spot-heading").focus();
      this.loadShares(spotId, run);
    } catch (error) {
      if (run !== this.run) return;
      if (error instanceof ApiError && error.status === 401) return;
      this.close();
      $("spot-heading").textContent = "Spot not found";
      announce(error instanceof ApiError && error.status === 404 ? "That spot no longer exists." : `Could not open the spot: ${error.message}`, "error");
    }
  }

  async loadShares(spotId, run) {
    try {
      const shares = await api.listShares(spotId);
      if (run === this.run && !$("share-field").hidden) return; // a link made just now stays on show
      if (run === this.run) $("share-stop").hidden = shares.items.length === 0;
    } catch {
      // the buttons still work; Stop sharing shows once a link is made
    }
  }

  showShare(share, announceIt = true) {
    $("share-field").hidden = !share;
    $("share-link").value = share ? new URL(share.url, location.origin).href : "";
    $("share-hint").textContent = share ? `Anyone with this link can see this spot, read-only, until ${formatDate(share.expiresAt)}.` : "";
    $("share-stop").hidden = !share;
    $("share-copied").hidden = true;
    $("share-send").hidden = !(share && typeof navigator.share === "function");
    if (share && announceIt) {
      $("share-link").focus();
      $("share-link").select();
    }
  }

  async share() {
    const button = $("share-create");
    button.disabled = true;
    try {
      const share = await api.createShare(this.spotId);
      this.showShare(share);
      announce("Share link made: copy it, or send it to your doctor.", "success");
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 401)) announce(`Could not make a share link: ${error.message}`, "error");
    } finally {
      enableAgain(button);
    }
  }

  async stopSharing() {
    try {
      await api.stopSharing(this.spotId);
      this.showShare(null);
      $("share-create").focus();
      announce("Sharing stopped: the links no longer open this spot.", "success");
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 401)) announce(`Could not stop sharing: ${error.message}`, "error");
    }
  }

  async copyLink() {
    const link = $("share-link").value;
    try {
      await navigator.clipboard.writeText(link);
    } catch {
      // No clipboard access (an http:// address, say): select the link for the person to copy.
      $("share-link").focus();
      $("share-link").select();
      announce("Copy the selected link (Ctrl+C, or long-press on a phone).");
      return;
    }
    $("share-copied").hidden = false;
    announce("Link copied.", "success");
  }

  async sendLink() {
    try {
      await navigator.share({ title: `${$("spot-heading").textContent}: SpotCheck`, url: $("share-link").value });
    } catch {
      // the person closed the share sheet
    }
  }

  /** The address of the open spot's latest photo, to line a new one up with; null for another spot. */
  lastPhotoUrl(spotId) {
    const last = spotId === this.spotId ? this.fileNames.at(-1) : null;
    return last ? OWNER_URLS.image(last) : null;
  }

  toggleRename(open) {
    $("spot-rename-form").hidden = !open;
    $("spot-rename").setAttribute("aria-expanded", String(open));
    clearFieldError("spot-rename-error", $("spot-rename-name"));
    if (open) {
      $("spot-rename-name").value = $("spot-heading").textContent;
      $("spot-rename-name").focus();
      $("spot-rename-name").select();
    }
  }

  async rename() {
    const input = $("spot-rename-name");
    const name = input.value.trim();
    const problem = spotNameProblem(name);
    if (problem) {
      showFieldError("spot-rename-error", problem, input);
      input.focus();
      return;
    }
    $("spot-rename-save").disabled = true;
    try {
      const spot = await api.renameSpot(this.spotId, name);
      this.toggleRename(false);
      await this.open(spot.id);
      announce(`Spot renamed to "${spot.name}".`, "success");
      this.onRenamed();
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) return;
      if (error instanceof ApiError && error.status === 404) {
        this.onDeleted();
        announce("That spot no longer exists.", "error");
        return;
      }
      showFieldError("spot-rename-error", error.message, input);
      input.focus();
    } finally {
      $("spot-rename-save").disabled = false;
    }
  }

  async deleteSpot() {
    const spotId = this.spotId;
    if (!spotId || !(await confirmWith("confirm-spot"))) {
      $("spot-delete").focus();
      return;
    }
    try {
      await api.deleteSpot(spotId);
      announce("Spot deleted, with its photos.", "success");
      this.onDeleted(spotId, this.fileNames);
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 401)) announce(`Could not delete the spot: ${error.message}`, "error");
    }
  }

  async refreshSummary() {
    const { run, spotId } = this;
    try {
      const spot = await api.spot(spotId);
      if (run === this.run && spotId === this.spotId) renderSummary($(IDS.summary), spot.summary);
    } catch {
      // The next full refresh shows it; the answers themselves are saved.
    }
  }

  /** Reload the open spot (after an upload into it, say). */
  refresh(spotId = null) {
    if (this.spotId && (spotId === null || spotId === this.spotId)) {
      if (this.answering()) this.refreshWanted = true;
      else this.open(this.spotId, { focus: false });
    }
  }

  close() {
    this.run++;
    this.spotId = null;
    this.showShare(null, false);
    this.toggleRename(false);
  }
}
