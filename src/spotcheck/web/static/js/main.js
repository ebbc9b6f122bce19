// Start-up and the two views: signed out (the sign-in form) and signed in (add, result, spots,
// history, your data). A spot's page is at #spot/<id>, so the back button and links work.

import { setUpAccount } from "./account.js";
import { api, ApiError, whenSessionLost } from "./api.js";
import { announce } from "./announce.js";
import { setUpAuthForm, setUpPasswordChange, setUpProviderSignIn, setUpSignOut } from "./auth.js";
import { History } from "./history.js";
import { refreshReminders } from "./reminders.js";
import { ResultCard } from "./result.js";
import { SpotView } from "./spot-view.js";
import { Spots, spotHref } from "./spots.js";
import { setUpUpload } from "./upload.js";

const $ = (id) => document.getElementById(id);

function afterChange(spotId = null) {
  history.refresh();
  spots.refresh();
  spotView.refresh(spotId);
  refreshReminders();
}

const result = new ResultCard({ onSettled: () => afterChange() });
const history = new History({
  onOpen: (fileName) => {
    history.markCurrent(fileName);
    result.show(fileName);
  },
  onDeleted: (fileName) => {
    if (result.fileName === fileName) result.close();
    spots.refresh();
    spotView.refresh();
  },
});
const spots = new Spots({
  onCreated: (spot) => {
    location.hash = spotHref(spot.id);
  },
});
const spotView = new SpotView({
  onClosed: () => spots.setOpen(null),
  onDeleted: (spotId, fileNames = []) => {
    if (fileNames.includes(result.fileName)) result.close();
    spotView.close();
    if (location.hash) window.history.replaceState(null, "", location.pathname);
    afterChange();
    $("spots-heading").focus();
  },
  onRenamed: () => {
    spots.refresh();
    refreshReminders();
  },
});
const upload = setUpUpload(
  (fileName, imageUrl, spotId) => {
    history.markCurrent(fileName);
    afterChange(spotId);
    result.show(fileName, { imageUrl, justUploaded: true });
  },
  () => {
    result.close();
    spots.refresh(); // a spot deleted meanwhile leaves the Spot menu
  },
);
const account = setUpAccount(() => {
  showSignedOut();
  tellOtherTabs();
});
// Saved answers can make a spot worrying and bring its re-check forward: the list of spots and
// the reminders follow (the spot's own page redraws its summary itself).
document.addEventListener("answers-saved", () => {
  spots.refresh();
  refreshReminders();
});

function route() {
  if ($("app-view").hidden) return;
  const match = /^#spot\/(.+)$/.exec(location.hash);
  if (match) {
    const spotId = decodeURIComponent(match[1]);
    spots.setOpen(spotId);
    spotView.open(spotId);
  } else if (!$("spot-view").hidden) {
    spotView.close();
    $("spots-heading").focus();
  }
}

window.addEventListener("hashchange", route);
$("spot-back").addEventListener("click", (event) => {
  event.preventDefault();
  history.markCurrent(null);
  if (location.hash) location.hash = "";
  else route();
});

async function showSignedIn(session) {
  // An account from the identity provider may have no address.
  $("account-email").textContent = session.email ?? "your account";
  $("account").hidden = false;
  // Everything the signed-in view lists is asked for first, so that the view is laid out once
  // and nothing moves when the answers arrive (each is a small, fast query).
  await Promise.all([history.refresh(), spots.refresh(), refreshReminders(), account.load()]);
  $("loading").hidden = true;
  $("auth-view").hidden = true;
  $("app-view").hidden = false;
  route();
  $("add-heading").setAttribute("tabindex", "-1");
  if (!/^#spot\//.test(location.hash)) $("add-heading").focus();
}

const closePasswordChange = setUpPasswordChange();

function showSignedOut() {
  $("loading").hidden = true;
  closePasswordChange();
  // A spot's address is the signed-out user's no longer; the next sign-in starts at the top.
  if (location.hash) window.history.replaceState(null, "", location.pathname);
  result.close();
  history.clear();
  spots.clear();
  spotView.close();
  upload.reset();
  $("app-view").hidden = true;
  $("account").hidden = true;
  $("account-email").textContent = "";
  $("auth-view").hidden = false;
}

whenSessionLost(() => {
  if ($("app-view").hidden) return;
  showSignedOut();
  announce("Your session has ended. Please sign in again.", "error");
  $("email").focus();
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
    if (!(error instanceof ApiError && error.status === 401)) return; // unreachable: the next call will tell
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
setUpProviderSignIn();
setUpSignOut(() => {
  showSignedOut();
  tellOtherTabs();
  $("email").focus();
});

try {
  await showSignedIn(await api.currentSession());
} catch (error) {
  showSignedOut();
  if (!(error instanceof ApiError && error.status === 401)) announce(error.message, "error");
}
