// The settings' two-step sign-in: setting up an authenticator app (its key as a QR code
// drawn here, then a code from it to prove it has the key), the recovery codes shown once,
// new recovery codes, and turning it off. Every change asks for the password first.

import { api } from "./api.js";
import { h, replaceChildren } from "./dom.js";

import qrcode from "./qrcode.js";
import { fieldError, toast } from "./widgets.js";

const $ = (id) => document.getElementById(id);
const SVG = "http://www.w3.org/2000/svg";
const PARTS = ["two-step-buttons", "two-step-password-form", "two-step-setup", "two-step-codes"];

/** What the password form is asked for: "enable", "renew" or "disable". */
let pending = null;
let shownCodes = [];

function show(part) {
  for (const id of PARTS) $(id).hidden = id !== part;
}

/** The state line and buttons, from the server. */
export async function renderSecondFactor() {
  show("two-step-buttons");
  try {
    const { totp, recovery_codes_left: left } = await api.secondFactor();
    $("two-step-state").textContent = totp
      ? `On: signing in asks for a code from your authenticator app. ${left} recovery code${left === 1 ? "" : "s"} left.`
      : "Off: your password alone signs you in.";
    $("two-step-enable").hidden = totp;
    $("two-step-renew").hidden = !totp;
    $("two-step-disable").hidden = !totp;
  } catch (error) {
    $("two-step-state").textContent = error.message;
  }
}

/** The QR code of `text` as SVG squares (a quiet zone of four around), built as DOM nodes. */
function drawQr(text) {
  const qr = qrcode(0, "M");
  qr.addData(text);
  qr.make();
  const count = qr.getModuleCount();
  const size = count + 8;
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", `0 0 ${size} ${size}`);
  svg.setAttribute("shape-rendering", "crispEdges");
  const background = document.createElementNS(SVG, "rect");
  background.setAttribute("width", String(size));
  background.setAttribute("height", String(size));
  background.setAttribute("fill", "#fff");
  let d = "";
  for (let row = 0; row < count; row += 1) {
    for (let col = 0; col < count; col += 1) {
      if (qr.isDark(row, col)) d += `M${col + 4} ${row + 4}h1v1h-1z`;
    }
  }
  const dark = document.createElementNS(SVG, "path");
  dark.setAttribute("d", d);
  dark.setAttribute("fill", "#000");
  svg.append(background, dark);
  replaceChildren($("two-step-qr"), svg);
}

function showCodes(codes) {
  shownCodes = codes;
  replaceChildren($("two-step-code-list"), codes.map((code) => h("li", {}, h("code", {}, code))));
  show("two-step-codes");
  $("two-step-done").focus();
}

function askPassword(action) {
  pending = action;
  $("two-step-password-form").reset();
  fieldError("two-step-password", "");
  show("two-step-password-form");
  $("two-step-password").focus();
}

/** Wires the section's buttons and forms. */
export function setupSecondFactor() {
  $("two-step-enable").addEventListener("click", () => askPassword("enable"));
  $("two-step-renew").addEventListener("click", () => askPassword("renew"));
  $("two-step-disable").addEventListener("click", () => askPassword("disable"));
  for (const cancel of document.querySelectorAll(".two-step-cancel")) {
    cancel.addEventListener("click", () => renderSecondFactor());
  }

  $("two-step-password-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const password = $("two-step-password").value;
    if (!fieldError("two-step-password", password ? "" : "Enter your password.")) return;
    try {
      if (pending === "enable") {
        const { secret, otpauth_uri: uri } = await api.startTotp(password);
        drawQr(uri);
        $("two-step-secret").textContent = secret.match(/.{1,4}/g).join(" ");
        $("two-step-confirm-form").reset();
        fieldError("two-step-code", "");
        show("two-step-setup");
        $("two-step-code").focus();
      } else if (pending === "renew") {
        showCodes((await api.renewRecoveryCodes(password)).recovery_codes);
      } else if (pending === "disable") {
        await api.removeSecondFactor(password);
        toast("Two-step sign-in is off.");
        renderSecondFactor();
      }
    } catch (error) {
      if (error.code === "invalid_credentials") fieldError("two-step-password", "That is not your password.");
      else if (error.status === 429) fieldError("two-step-password", `Too many attempts. Try again in ${error.retryAfter} s.`);
      else fieldError("two-step-password", error.message);
    }
  });

  $("two-step-confirm-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const code = $("two-step-code").value.trim();
    if (!fieldError("two-step-code", /^\d{6}$/.test(code) ? "" : "Enter the 6 digits the app shows.")) return;
    try {
      showCodes((await api.confirmTotp(code)).recovery_codes);
    } catch (error) {
      if (error.code === "invalid_code") fieldError("two-step-code", "That code is not right. Check the app's clock, then try the newest code.");
      else if (error.code === "no_setup") renderSecondFactor();
      else fieldError("two-step-code", error.message);
    }
  });

  $("two-step-copy").addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(shownCodes.join("\n"));
      toast("Recovery codes copied.");
    } catch {
      toast("Copying is blocked here: write the codes down.", "error");
    }
  });
  $("two-step-done").addEventListener("click", () => {
    shownCodes = [];
    replaceChildren($("two-step-code-list"));
    renderSecondFactor();
  });
}
