// One spot's page for its owner: timeline, comparison, changes, questions, the report, and a
// read-only link to share with a doctor (which the owner can stop).

import { api, paths } from "./api.js";
import { announce } from "./announce.js";
import { confirmWith } from "./confirm.js";
import { clearFieldError, enableAgain, showFieldError } from "./fields.js";
import { formatDate } from "./format.js";
import { $, announceFailure, failedWith, messageOf, sessionEnded } from "./page.js";
import { screenPaths } from "./router.js";
import { spotNameProblem } from "./spots.js";
import { renderSpot, renderSummary, SPOT_PARTS } from "./timeline.js";

const OWNER_URLS = { thumbnail: paths.thumbnail, image: paths.image };
const shareLink = () => $("share-link", HTMLInputElement);
const renameField = () => $("spot-rename-name", HTMLInputElement);

export class SpotView {
  /** @param {{ onDeleted: (spotId?: string, fileNames?: string[]) => void, onRenamed: () => void }} options */
  constructor({ onDeleted, onRenamed }) {
    /** @type {string | null} */
    this.spotId = null;
    /** @type {string[]} */
    this.fileNames = [];
    this.run = 0;
    this.onDeleted = onDeleted;
    this.onRenamed = onRenamed;
    $("spot-rename").addEventListener("click", () => this.toggleRename(true));
    $("spot-rename-cancel").addEventListener("click", () => {
      this.toggleRename(false);
      $("spot-rename").focus();
    });
    renameField().addEventListener("input", () => clearFieldError("spot-rename-error", renameField()));
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
  async open(/** @type {string} */ spotId, { focus = true } = {}) {
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
      renderSpot(spot, { urls: OWNER_URLS, editable: true });
      const report = $("spot-report", HTMLAnchorElement);
      report.href = paths.report(spotId);
      report.setAttribute("download", `${spot.name}.pdf`);
      $("spot-add-photo", HTMLAnchorElement).href = screenPaths.check(spotId);
      if (focus) $("spot-heading").focus();
      this.loadShares(spotId, run);
    } catch (error) {
      if (run !== this.run) return;
      if (sessionEnded(error)) return;
      this.close();
      $("spot-heading").textContent = "Spot not found";
      if (failedWith(error, 404)) announce("That spot no longer exists.", "error");
      else announceFailure("open the spot", error);
    }
  }

  async loadShares(/** @type {string} */ spotId, /** @type {number} */ run) {
    try {
      const shares = await api.listShares(spotId);
      if (run === this.run && !$("share-field").hidden) return; // a link made just now stays on show
      if (run === this.run) $("share-stop").hidden = shares.items.length === 0;
    } catch {
      // the buttons still work; Stop sharing shows once a link is made
    }
  }

  showShare(/** @type {import("./api.js").ShareCreated | null} */ share, announceIt = true) {
    $("share-field").hidden = !share;
    shareLink().value = share ? new URL(share.url, location.origin).href : "";
    $("share-hint").textContent = share ? `Anyone with this link can see this spot, read-only, until ${formatDate(share.expiresAt)}.` : "";
    $("share-stop").hidden = !share;
    $("share-copied").hidden = true;
    $("share-send").hidden = !(share && typeof navigator.share === "function");
    if (share && announceIt) {
      shareLink().focus();
      shareLink().select();
    }
  }

  async share() {
    const button = $("share-create", HTMLButtonElement);
    if (!this.spotId) return;
    button.disabled = true;
    try {
      const share = await api.createShare(this.spotId);
      this.showShare(share);
      announce("Share link made: copy it, or send it to your doctor.", "success");
    } catch (error) {
      announceFailure("make a share link", error);
    } finally {
      enableAgain(button);
    }
  }

  async stopSharing() {
    if (!this.spotId) return;
    try {
      await api.stopSharing(this.spotId);
      this.showShare(null);
      $("share-create").focus();
      announce("Sharing stopped: the links no longer open this spot.", "success");
    } catch (error) {
      announceFailure("stop sharing", error);
    }
  }

  async copyLink() {
    const link = shareLink().value;
    try {
      await navigator.clipboard.writeText(link);
    } catch {
      // No clipboard access (an http:// address, say): select the link for the person to copy.
      shareLink().focus();
      shareLink().select();
      announce("Copy the selected link (Ctrl+C, or long-press on a phone).");
      return;
    }
    $("share-copied").hidden = false;
    announce("Link copied.", "success");
  }

  async sendLink() {
    try {
      await navigator.share({ title: `${$("spot-heading").textContent}: SpotCheck`, url: shareLink().value });
    } catch {
      // the person closed the share sheet
    }
  }

  /** The address of the open spot's latest photo, to line a new one up with; null for another spot. */
  lastPhotoUrl(/** @type {string} */ spotId) {
    const last = spotId === this.spotId ? this.fileNames.at(-1) : null;
    return last ? OWNER_URLS.image(last) : null;
  }

  toggleRename(/** @type {boolean} */ open) {
    $("spot-rename-form").hidden = !open;
    $("spot-rename").setAttribute("aria-expanded", String(open));
    clearFieldError("spot-rename-error", renameField());
    if (open) {
      renameField().value = $("spot-heading").textContent ?? "";
      renameField().focus();
      renameField().select();
    }
  }

  async rename() {
    const input = renameField();
    const name = input.value.trim();
    if (!this.spotId) return;
    const problem = spotNameProblem(name);
    if (problem) {
      showFieldError("spot-rename-error", problem, input);
      input.focus();
      return;
    }
    const save = $("spot-rename-save", HTMLButtonElement);
    save.disabled = true;
    try {
      const spot = await api.renameSpot(this.spotId, name);
      this.toggleRename(false);
      await this.open(spot.id);
      announce(`Spot renamed to "${spot.name}".`, "success");
      this.onRenamed();
    } catch (error) {
      if (sessionEnded(error)) return;
      if (failedWith(error, 404)) {
        this.onDeleted();
        announce("That spot no longer exists.", "error");
        return;
      }
      showFieldError("spot-rename-error", messageOf(error), input);
      input.focus();
    } finally {
      save.disabled = false;
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
    } catch (error) {
      announceFailure("delete the spot", error);
      return;
    }
    const fileNames = this.fileNames;
    // Closed first: a refresh (one in flight, or one the deletion starts) would find the spot gone
    // and say so as an error over the news that it was deleted.
    this.close();
    announce("Spot deleted, with its photos.", "success");
    this.onDeleted(spotId, fileNames);
  }

  async refreshSummary() {
    const { run, spotId } = this;
    if (!spotId) return;
    try {
      const spot = await api.spot(spotId);
      if (run === this.run && spotId === this.spotId) renderSummary($(SPOT_PARTS.summary), spot.summary);
    } catch {
      // The next full refresh shows it; the answers themselves are saved.
    }
  }

  /** Reload the open spot (after an upload into it, say). */
  refresh(/** @type {string | null} */ spotId = null) {
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
