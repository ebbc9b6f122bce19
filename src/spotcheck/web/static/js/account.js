// "Your data": export everything, or delete the account (after a confirmation, with the
// password for a password account).

import { api } from "./api.js";
import { focusSignIn } from "./auth.js";
import { announce } from "./announce.js";
import { confirmWith } from "./confirm.js";
import { showFieldError } from "./fields.js";
import { $, announceFailure, failedWith, messageOf, sessionEnded } from "./page.js";

function passwordField() {
  const field = document.createElement("div");
  field.className = "field";
  const label = document.createElement("label");
  label.htmlFor = "confirm-account-password";
  label.textContent = "Your password";
  const input = document.createElement("input");
  input.id = "confirm-account-password";
  input.type = "password";
  input.autocomplete = "current-password";
  input.setAttribute("aria-describedby", "confirm-account-error");
  const error = document.createElement("p");
  error.className = "field-error";
  error.id = "confirm-account-error";
  error.hidden = true;
  field.append(label, input, error);
  // Enter in the field means "delete with this password": the form's first button is "Keep it".
  input.addEventListener("keydown", (event) => {
    if (event.key !== "Enter") return;
    event.preventDefault();
    input.form?.requestSubmit(input.form.querySelector('button[value="confirm"]'));
  });
  return field;
}

/** Wire the account card; onDeleted() runs once the server has removed the account. */
export function setUpAccount(/** @type {() => void} */ onDeleted) {
  let needsPassword = true;

  async function load() {
    try {
      const account = await api.account();
      needsPassword = account.signInMethod !== "oidc";
      $("data-card").classList.remove("is-unavailable");
    } catch (error) {
      if (failedWith(error, 404, 405)) $("data-card").classList.add("is-unavailable");
    }
  }

  $("account-delete").addEventListener("click", async () => {
    const slot = $("confirm-account-slot");
    slot.replaceChildren(...(needsPassword ? [passwordField()] : []));
    /** @type {HTMLElement | null} */
    let focus = null;
    try {
      for (;;) {
        if (!(await confirmWith("confirm-account", { focus }))) {
          $("account-delete").focus();
          return;
        }
        const password = needsPassword ? $("confirm-account-password", HTMLInputElement).value : null;
        try {
          await api.deleteAccount(password);
        } catch (error) {
          if (sessionEnded(error)) return;
          if (!needsPassword) {
            announceFailure("delete the account", error);
            return;
          }
          // A wrong password, say: the message goes under the field and the dialog opens again.
          showFieldError("confirm-account-error", messageOf(error), $("confirm-account-password"));
          focus = $("confirm-account-password");
          continue;
        }
        onDeleted();
        announce("Your account and everything in it were deleted.", "success");
        focusSignIn();
        return;
      }
    } finally {
      slot.replaceChildren();
    }
  });

  return { load };
}
