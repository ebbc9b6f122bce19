// Start-up and the views: offline, signed out (sign in or create an account) and signed in, whose
// screens (check, result, spots, a spot, account) each have their own address (router.js).

import { setUpAccount } from "./account.js";
import { api, whenSessionLost } from "./api.js";
import { announce } from "./announce.js";
import { focusSignIn, setUpAuthForm, setUpPasswordChange, setUpProviderSignIn, setUpSignOut } from "./auth.js";
import { setUpCamera } from "./camera.js";
import { History } from "./history.js";
import { registerServiceWorker, showOffline } from "./offline.js";
import { $, failedWith, messageOf, sessionEnded } from "./page.js";
import { Reminders } from "./reminders.js";
import { ResultCard } from "./result.js";
import { navigate, parseRoute, screenPaths, showScreen, whenRouted } from "./router.js";
import { SpotView } from "./spot-view.js";
import { Spots } from "./spots.js";
import { setUpUpload } from "./upload.js";

const reminders = new Reminders();

function afterChange(/** @type {string | null} */ spotId = null) {
  history.refresh();
  spots.refresh();
  spotView.refresh(spotId);
  reminders.refresh();
}

const spots = new Spots({ onCreated: (spot) => navigate(screenPaths.spot(spot.id)) });
const result = new ResultCard({ onSettled: () => afterChange(), spotName: (spotId) => spots.nameOf(spotId) });
const history = new History({
  spots,
  onDeleted: (fileName) => {
    if (result.fileName === fileName) result.close();
    spots.refresh();
    spotView.refresh();
  },
  onMoved: () => {
    spots.refresh();
    reminders.refresh();
  },
});
const spotView = new SpotView({
  onDeleted: (_spotId, fileNames = []) => {
    if (result.fileName !== null && fileNames.includes(result.fileName)) result.close();
    afterChange();
    navigate(screenPaths.spots(), { replace: true });
  },
  onRenamed: () => {
    spots.refresh();
    reminders.refresh();
  },
});
const camera = setUpCamera({ lastPhotoOf: (spotId) => spotView.lastPhotoUrl(spotId) });
const upload = setUpUpload(
  (fileName, imageUrl, spotId) => {
    history.markCurrent(fileName);
    afterChange(spotId);
    result.show(fileName, { imageUrl, justUploaded: true, spotId });
    navigate(screenPaths.result(fileName));
  },
  () => {
    result.close();
    spots.refresh(); // a spot deleted meanwhile leaves the Spot menu
  },
  camera,
);
const account = setUpAccount(() => {
  showSignedOut();
  tellOtherTabs();
});
// Saved answers can make a spot worrying and bring its re-check forward: the list of spots and
// the reminders follow (the spot's own page redraws its summary itself).
document.addEventListener("answers-saved", () => {
  spots.refresh();
  reminders.refresh();
});

/** Show the screen for the address; `focus` moves the focus to its heading (not on a first load's check screen). */
function route(/** @type {import("./router.js").Route} */ { screen, param, spotId }, { focus = true } = {}) {
  if ($("app-view").hidden) return;
  camera.close();
  showScreen(screen);
  let heading = null;
  if (screen === "check") {
    upload.chooseSpot(spotId);
    heading = "add-heading";
  } else if (screen === "result" && param) {
    if (result.fileName !== param) result.show(param, { focus: false, spotId: history.spotOf(param) });
    heading = "result-heading";
  } else if (screen === "spot" && param) {
    spotView.open(param, { focus: false });
    heading = "spot-heading";
  } else if (screen === "spots") {
    heading = "spots-heading";
  } else if (screen === "account") {
    heading = "account-heading";
  }
  window.scrollTo(0, 0);
  if (focus && heading) $(heading).focus({ preventScroll: true });
}

whenRouted((where) => route(where));

async function showSignedIn(/** @type {import("./api.js").Session} */ session) {
  // An account from the identity provider may have no address.
  $("account-email").textContent = session.email ?? "your account";
  // Everything the signed-in view lists is asked for first, so that the view is laid out once
  // and nothing moves when the answers arrive (each is a small, fast query).
  await Promise.all([history.refresh(), spots.refresh(), reminders.refresh(), account.load()]);
  $("loading").hidden = true;
  $("offline-view").hidden = true;
  $("auth-view").hidden = true;
  $("account").hidden = false;
  $("app-view").hidden = false;
  $("app-nav").hidden = false;
  const where = parseRoute();
  if (!location.pathname.startsWith("/app/")) window.history.replaceState(null, "", screenPaths.check());
  route(where, { focus: true });
}

const closePasswordChange = setUpPasswordChange();

/** The sign-in view. `keepAddress`: signing in again returns to this screen (a session that
 *  expired, a bookmark); after a sign-out the next person starts from the top. */
function showSignedOut({ keepAddress = false } = {}) {
  if (!keepAddress && location.pathname !== "/") window.history.replaceState(null, "", "/");
  $("loading").hidden = true;
  $("offline-view").hidden = true;
  closePasswordChange();
  result.close();
  history.clear();
  spots.clear();
  spotView.close();
  upload.reset();
  camera.close();
  $("app-view").hidden = true;
  $("app-nav").hidden = true;
  $("account").hidden = true;
  $("account-email").textContent = "";
  $("auth-view").hidden = false;
}

whenSessionLost(() => {
  if ($("app-view").hidden) return;
  showSignedOut({ keepAddress: true });
  announce("Your session has ended. Please sign in again.", "error");
  focusSignIn();
});

// Tabs share the session cookie: when one signs in, out or deletes the account, the others follow
// at once instead of showing one account's data over another's session.
const otherTabs = "BroadcastChannel" in window ? new BroadcastChannel("spotcheck-session") : null;
otherTabs?.addEventListener("message", async () => {
  const shown = $("app-view").hidden ? null : $("account-email").textContent;
  let session = null;
  try {
    session = await api.currentSession();
  } catch (error) {
    if (!sessionEnded(error)) return; // unreachable: the next call will tell
  }
  if (session === null) {
    if (shown === null) return;
    showSignedOut();
    announce("You were signed out in another tab.", "success");
  } else if ((session.email ?? "your account") !== shown) {
    showSignedOut();
    await showSignedIn(session);
    announce(`Signed in as ${session.email ?? "your account"} in another tab.`, "success");
  }
});
const tellOtherTabs = () => otherTabs?.postMessage("session changed");

setUpAuthForm(async (session) => {
  await showSignedIn(session);
  tellOtherTabs();
});
const serverReached = setUpProviderSignIn();
setUpSignOut(() => {
  showSignedOut();
  tellOtherTabs();
  focusSignIn();
});
registerServiceWorker();

async function start() {
  if (!navigator.onLine) return showOffline();
  // The server marks the page when the request carried no session cookie: no need to ask.
  if (document.documentElement.hasAttribute("data-signed-out")) {
    showSignedOut({ keepAddress: true });
    if (!(await serverReached)) showOffline(); // a copy the service worker kept, opened offline
    return;
  }
  try {
    await showSignedIn(await api.currentSession());
  } catch (error) {
    if (failedWith(error, 0)) return showOffline();
    showSignedOut({ keepAddress: true });
    if (!sessionEnded(error)) announce(messageOf(error), "error");
  }
}

$("offline-retry").addEventListener("click", () => location.reload());
await start();
