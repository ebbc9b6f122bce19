// Sign in, create an account (its own form, so that password managers offer a new password) and
// sign out. A new account goes through POST /auth/register, then the page opens a cookie session
// with POST /ui/session like a sign-in.

import { api, ApiError } from "./api.js";
import { announce } from "./announce.js";
import { clearFieldError, enableAgain, formInput, showFieldError } from "./fields.js";
import { $, failedWith, messageOf, sessionEnded } from "./page.js";

/** @typedef {(session: import("./api.js").Session) => void} OnSignedIn */

const EMAIL_SHAPE = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;

function clearErrors(/** @type {HTMLFormElement} */ form) {
  clearFieldError("email-error", formInput(form, "email"));
  clearFieldError("password-error", formInput(form, "password"));
  clearFieldError("auth-error");
}

function checkLocally(/** @type {HTMLFormElement} */ form) {
  const emailInput = formInput(form, "email");
  const passwordInput = formInput(form, "password");
  const email = emailInput.value.trim();
  const password = passwordInput.value;
  let ok = true;
  if (!email) {
    showFieldError("email-error", "Enter your email address.", emailInput);
    ok = false;
  } else if (!EMAIL_SHAPE.test(email)) {
    showFieldError("email-error", "Enter a valid email address, like name@example.org.", emailInput);
    ok = false;
  }
  if (!password) {
    showFieldError("password-error", "Enter your password.", passwordInput);
    ok = false;
  }
  return ok;
}

/** Put an API error next to the field it is about; anything else goes under the form. */
/** @param {HTMLFormElement} form @param {unknown} error @param {"sign-in" | "sign-up"} action */
function showApiError(form, error, action) {
  const email = formInput(form, "email");
  const password = formInput(form, "password");
  if (!(error instanceof ApiError)) throw error;
  if (error.status === 401 && action === "sign-up") {
    // Registration answers alike for new and taken addresses; only the sign-in after it can fail.
    showFieldError(
      "email-error",
      "Could not sign in with this email and password. If you already have an account, sign in with its password; otherwise use another email.",
      email,
    );
  } else if (error.status === 401 && action === "sign-in") {
    showFieldError("password-error", "Incorrect email or password.", password);
  } else if (error.status === 422 && Array.isArray(error.detail)) {
    const about = error.detail.some((/** @type {{ loc?: unknown[] }} */ item) => (item.loc ?? []).includes("password")) ? "password" : "email";
    if (about === "password") showFieldError("password-error", "This password is too long.", password);
    else showFieldError("email-error", "Enter a valid email address, like name@example.org.", email);
  } else if (error.status === 422 && error.message.startsWith("The email address")) {
    showFieldError("email-error", error.message, email); // an invisible or control character
  } else if (error.status === 422) {
    showFieldError("password-error", error.message, password); // the weak-password rule it broke
  } else {
    showFieldError("auth-error", error.message);
  }
  const firstInvalid = invalidInput(form);
  (firstInvalid ?? email).focus();
  // The message itself is next to the field (read out with it on focus), so it is not repeated here.
  announce(firstInvalid ? `Please check the ${fieldName(firstInvalid)} field.` : "That did not work; see the message under the form.", "error");
}

/** The form's first input marked invalid, or null. */
function invalidInput(/** @type {HTMLFormElement} */ form) {
  const input = form.querySelector('[aria-invalid="true"]');
  return input instanceof HTMLInputElement ? input : null;
}

function fieldName(/** @type {HTMLInputElement} */ input) {
  return input.labels?.[0]?.textContent ?? "";
}

/** The sign-in form, or the create-account form (`mode`), put into the signed-out view. */
/** @param {"create" | "sign-in"} mode @param {OnSignedIn} onSignedIn */
function showForm(mode, onSignedIn) {
  const slot = $("auth-slot");
  slot.replaceChildren($(mode === "create" ? "create-template" : "sign-in-template", HTMLTemplateElement).content.cloneNode(true));
  $("auth-heading").textContent = mode === "create" ? "Create your account" : "Check a skin spot";
  const form = slot.querySelector("form");
  if (!form) throw new Error("The sign-in template has no form.");
  wireForm(form, mode === "create" ? "sign-up" : "sign-in", onSignedIn);
  document.getElementById("create-open")?.addEventListener("click", () => {
    showForm("create", onSignedIn);
    $("email").focus();
  });
  document.getElementById("create-cancel")?.addEventListener("click", () => {
    showForm("sign-in", onSignedIn);
    $("email").focus();
  });
}

/** @type {OnSignedIn} */
let signedIn = () => {};

/** The sign-in form, empty, with the focus in its Email field. */
export function focusSignIn() {
  showForm("sign-in", signedIn);
  $("email").focus();
}

/** @param {HTMLFormElement} form @param {"sign-in" | "sign-up"} action @param {OnSignedIn} onSignedIn */
function wireForm(form, action, onSignedIn) {
  const button = form.querySelector("button[type=submit]");
  if (!(button instanceof HTMLButtonElement)) throw new Error("The sign-in form has no submit button.");
  for (const input of [formInput(form, "email"), formInput(form, "password")]) {
    input.addEventListener("input", () => clearFieldError(`${input.id}-error`, input));
  }
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    if (!checkLocally(form)) {
      const firstInvalid = invalidInput(form);
      firstInvalid?.focus();
      announce(`Please check the ${firstInvalid ? fieldName(firstInvalid) : "marked"} field.`, "error");
      return;
    }
    const email = formInput(form, "email").value.trim();
    const password = formInput(form, "password").value;
    button.disabled = true;
    announce(action === "sign-up" ? "Creating your account…" : "Signing in…");
    try {
      if (action === "sign-up") await api.register(email, password);
      const session = await api.signIn(email, password);
      showForm("sign-in", onSignedIn); // the next sign-out starts from an empty sign-in form
      announce(action === "sign-up" ? "Account created. You are signed in." : "You are signed in.", "success");
      onSignedIn(session);
    } catch (error) {
      showApiError(form, error, action);
    } finally {
      enableAgain(button);
    }
  });
}

/** Wire the signed-out view; onSignedIn(session) runs after a sign-in or a new account. */
export function setUpAuthForm(/** @type {OnSignedIn} */ onSignedIn) {
  signedIn = onSignedIn;
  showForm("sign-in", onSignedIn);
}

/**
 * Offer "Sign in with <provider>" when the server has one (a top-level navigation to the server's
 * /auth/oidc/login, which sends the browser on to the provider), and hide the password forms when
 * the server keeps no passwords. Resolves false when the server could not be reached.
 */
export async function setUpProviderSignIn() {
  let providers;
  try {
    providers = await api.providers();
  } catch (error) {
    return !failedWith(error, 0); // the password form stays
  }
  const { oidc, localAccounts } = providers;
  if (oidc) {
    const button = $("provider-button");
    button.textContent = `Sign in with ${oidc.name}`;
    button.addEventListener("click", () => window.location.assign(oidc.loginUrl));
    $("provider-sign-in").hidden = false;
  }
  if (!localAccounts) {
    $("change-password-open").hidden = true;
    $("auth-slot").hidden = true;
    $("provider-or").textContent =
      "Sign in to check a photo of a skin spot and follow how it changes.";
  }
  return true;
}

/** Wire the header's Sign out button; onSignedOut runs once the server has cleared the session. */
export function setUpSignOut(/** @type {() => void} */ onSignedOut) {
  const button = $("sign-out", HTMLButtonElement);
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      await api.signOut();
      announce("You are signed out.", "success");
      onSignedOut();
    } catch (error) {
      announce(`Could not sign out: ${messageOf(error)}`, "error");
    } finally {
      enableAgain(button);
    }
  });
}

/** The password-change form behind the header's "Change password" button; returns its close(). */
export function setUpPasswordChange() {
  const open = $("change-password-open");
  const slot = $("password-slot");
  const close = () => {
    slot.replaceChildren();
    open.setAttribute("aria-expanded", "false");
  };
  open.addEventListener("click", () => {
    if (slot.firstElementChild) return close();
    slot.append($("password-template", HTMLTemplateElement).content.cloneNode(true));
    open.setAttribute("aria-expanded", "true");
    wirePasswordForm(close, open);
  });
  return close;
}

/** @param {() => void} close @param {HTMLElement} open */
function wirePasswordForm(close, open) {
  const form = $("password-form", HTMLFormElement);
  const current = formInput(form, "current");
  const fresh = formInput(form, "new");
  const clear = () => {
    clearFieldError("current-password-error", current);
    clearFieldError("new-password-error", fresh);
    clearFieldError("password-change-error");
  };
  current.focus();
  $("change-password-cancel").addEventListener("click", () => {
    close();
    open.focus();
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clear();
    if (!current.value) return showFieldError("current-password-error", "Enter your current password.", current);
    if (!fresh.value) return showFieldError("new-password-error", "Enter a new password.", fresh);
    try {
      await api.changePassword(current.value, fresh.value);
      close();
      open.focus();
      announce("Your password is changed. Your other devices are signed out.", "success");
    } catch (error) {
      if (sessionEnded(error)) return; // the page shows the sign-in form
      if (!(error instanceof ApiError)) throw error;
      if (error.status === 403) showFieldError("current-password-error", error.message, current);
      else if (error.status === 422 && typeof error.detail === "string") showFieldError("new-password-error", error.message, fresh);
      else if (error.status === 422) showFieldError("new-password-error", "This password is too long.", fresh);
      else showFieldError("password-change-error", error.message);
      announce("The password was not changed; see the message in the form.", "error");
    }
  });
}
