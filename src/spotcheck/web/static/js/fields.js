// Errors shown next to the field that caused them, and tied to it for screen readers.

export function showFieldError(errorId, message, input = null) {
  const el = document.getElementById(errorId);
  el.textContent = message;
  el.hidden = false;
  if (input) input.setAttribute("aria-invalid", "true");
}

export function clearFieldError(errorId, input = null) {
  const el = document.getElementById(errorId);
  el.textContent = "";
  el.hidden = true;
  if (input) input.removeAttribute("aria-invalid");
}

/** Enable `button` again; if disabling it had dropped the focus to the page, it takes it back. */
export function enableAgain(button) {
  button.disabled = false;
  if (document.activeElement === null || document.activeElement === document.body) button.focus();
}
