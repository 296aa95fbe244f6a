// The sign-in and sign-up screen: field checks that mirror the API, server errors shown at
// the field they concern, and a 429's Retry-After shown as a countdown.

import { api } from "./api.js";
import { checkDisplayName, checkPassword, checkUsername } from "./limits.js";
import { fieldError, waitOut } from "./widgets.js";

const $ = (id) => document.getElementById(id);

/** Where each server error code belongs on the signup form. */
const SIGNUP_FIELDS = {
  invalid_username: "signup-username",
  username_taken: "signup-username",
  invalid_password: "signup-password",
  invalid_display_name: "signup-display",
};

function selectTab(which) {
  const login = which === "login";
  $("tab-login").setAttribute("aria-selected", String(login));
  $("tab-signup").setAttribute("aria-selected", String(!login));
  $("login-form").hidden = !login;
  $("signup-form").hidden = login;
  $("code-form").hidden = true;
  (login ? $("login-username") : $("signup-username")).focus();
}

/** Wires the auth screen; `onSignedIn(user)` runs after a successful login or signup. */
export function setupAuth(onSignedIn) {
  $("tab-login").addEventListener("click", () => selectTab("login"));
  $("tab-signup").addEventListener("click", () => selectTab("signup"));
  for (const tab of [$("tab-login"), $("tab-signup")]) {
    tab.addEventListener("keydown", (event) => {
      if (event.key === "ArrowRight" || event.key === "ArrowLeft") {
        selectTab(tab.id === "tab-login" ? "signup" : "login");
        (tab.id === "tab-login" ? $("tab-signup") : $("tab-login")).focus();
      }
    });
  }

  const loginForm = $("login-form");
  loginForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const username = $("login-username").value.trim();
    const password = $("login-password").value;
    const ok =
      fieldError("login-username", username ? "" : "Enter your username.") &
      fieldError("login-password", password ? "" : "Enter your password.");
    $("login-error").textContent = "";
    if (!ok) return;
    const button = loginForm.querySelector("[type=submit]");
    button.disabled = true;
    try {
      const answer = await api.login(username, password);
      button.disabled = false;
      loginForm.reset();
      if (answer.second_factor_required) askForCode(answer.challenge);
      else onSignedIn(answer.user);
    } catch (error) {
      button.disabled = false;
      if (error.status === 429) waitOut(loginForm, $("login-error"), error.retryAfter);
      else if (error.code === "invalid_credentials") $("login-error").textContent = "Wrong username or password.";
      else $("login-error").textContent = error.message;
    }
  });

  // The second step of a login with an authenticator: the password was right, the server
  // holds a challenge for five minutes and five wrong codes.
  const codeForm = $("code-form");
  let challenge = null;
  const backToPassword = (message = "") => {
    challenge = null;
    codeForm.reset();
    codeForm.hidden = true;
    loginForm.hidden = false;
    $("login-error").textContent = message;
    $("login-username").focus();
  };
  function askForCode(issued) {
    challenge = issued;
    loginForm.hidden = true;
    codeForm.hidden = false;
    fieldError("login-code", "");
    $("code-error").textContent = "";
    $("login-code").focus();
  }
  $("code-back").addEventListener("click", () => backToPassword());
  codeForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const code = $("login-code").value.trim();
    if (!fieldError("login-code", code ? "" : "Enter the code.")) return;
    $("code-error").textContent = "";
    const button = codeForm.querySelector("[type=submit]");
    button.disabled = true;
    try {
      const { user } = await api.loginSecondFactor(challenge, code);
      button.disabled = false;
      challenge = null;
      codeForm.reset();
      codeForm.hidden = true;
      loginForm.hidden = false;
      onSignedIn(user);
    } catch (error) {
      button.disabled = false;
      if (error.code === "invalid_challenge") backToPassword("That sign-in expired. Enter your password again.");
      else if (error.status === 429) waitOut(codeForm, $("code-error"), error.retryAfter);
      else if (error.code === "invalid_code") fieldError("login-code", "That code is not right. Try the newest one.");
      else $("code-error").textContent = error.message;
    }
  });

  const signupForm = $("signup-form");
  const checks = {
    "signup-username": () => checkUsername($("signup-username").value),
    "signup-display": () => ($("signup-display").value.trim() ? checkDisplayName($("signup-display").value) : ""),
    "signup-password": () => checkPassword($("signup-password").value, $("signup-username").value),
  };
  for (const [id, check] of Object.entries(checks)) {
    // Check a field once the person leaves it, then again as they correct it.
    $(id).addEventListener("blur", () => $(id).value && fieldError(id, check()));
    $(id).addEventListener("input", () => $(id).getAttribute("aria-invalid") === "true" && fieldError(id, check()));
  }
  signupForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    $("signup-error").textContent = "";
    let ok = true;
    for (const [id, check] of Object.entries(checks)) ok = fieldError(id, check()) && ok;
    if (!ok) {
      signupForm.querySelector("[aria-invalid=true]")?.focus();
      return;
    }
    const button = signupForm.querySelector("[type=submit]");
    button.disabled = true;
    try {
      const { user } = await api.signup(
        $("signup-username").value.trim().toLowerCase(),
        $("signup-password").value,
        $("signup-display").value.trim(),
      );
      button.disabled = false;
      signupForm.reset();
      onSignedIn(user);
    } catch (error) {
      button.disabled = false;
      const field = SIGNUP_FIELDS[error.code];
      if (error.code === "username_taken") fieldError(field, "That username is taken.");
      else if (field) fieldError(field, error.message);
      else if (error.status === 429) waitOut(signupForm, $("signup-error"), error.retryAfter);
      else $("signup-error").textContent = error.message;
    }
  });
}

/** Set once someone has signed in or up in this browser: it then opens on "Sign in". */
const RETURNING_KEY = "chat.returning";

/** Remembers that this browser has been used to sign in (nothing about who). */
export function rememberReturning() {
  try {
    localStorage.setItem(RETURNING_KEY, "1");
  } catch {
    // storage off: the page opens on "Create account" next time, which is harmless
  }
}

function returning() {
  try {
    return localStorage.getItem(RETURNING_KEY) === "1";
  } catch {
    return false;
  }
}

/** Shows the auth screen: "Sign in" for a browser used before, "Create account" for a new one. */
export function showAuth() {
  $("app").hidden = true;
  $("auth").hidden = false;
  selectTab(returning() ? "login" : "signup");
}
