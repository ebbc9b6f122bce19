// Start-up and the two views: signed out (the sign-in form) and signed in (add, result, history).

import { api, ApiError, whenSessionLost } from "./api.js";
import { announce } from "./announce.js";
import { setUpAuthForm, setUpPasswordChange, setUpProviderSignIn, setUpSignOut } from "./auth.js";
import { History } from "./history.js";
import { ResultCard } from "./result.js";
import { setUpUpload } from "./upload.js";

const $ = (id) => document.getElementById(id);

const result = new ResultCard({ onSettled: () => history.refresh() });
const history = new History({
  onOpen: (fileName) => {
    history.markCurrent(fileName);
    result.show(fileName);
  },
  onDeleted: (fileName) => {
    if (result.fileName === fileName) result.close();
  },
});
const upload = setUpUpload((fileName, imageUrl) => {
  history.markCurrent(fileName);
  history.refresh();
  result.show(fileName, { imageUrl });
});

function showSignedIn(session) {
  $("loading").hidden = true;
  $("auth-view").hidden = true;
  $("app-view").hidden = false;
  $("account").hidden = false;
  // An account from the identity provider may have no address.
  $("account-email").textContent = session.email ?? "your account";
  history.refresh();
  $("add-heading").setAttribute("tabindex", "-1");
  $("add-heading").focus();
}

const closePasswordChange = setUpPasswordChange();

function showSignedOut() {
  $("loading").hidden = true;
  closePasswordChange();
  result.close();
  history.clear();
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

setUpAuthForm(showSignedIn);
setUpProviderSignIn();
setUpSignOut(() => {
  showSignedOut();
  $("email").focus();
});

try {
  showSignedIn(await api.currentSession());
} catch (error) {
  showSignedOut();
  if (!(error instanceof ApiError && error.status === 401)) announce(error.message, "error");
}
