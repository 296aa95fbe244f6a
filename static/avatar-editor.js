// The profile picture in the settings: choose a picture, frame it in a square (drag to
// move, the slider or the wheel to zoom), and save a 512-pixel square of it; or remove it.
// The server keeps what it is sent; the cropping happens here, on a canvas.

import { api } from "./api.js";
import { h, replaceChildren } from "./dom.js";

import { changed, store, updateMe } from "./state.js";
import { avatar } from "./widgets.js";

const $ = (id) => document.getElementById(id);

/** The side of the saved square, in pixels. */
const OUTPUT = 512;

// The picture being framed: the image, its zoom (1 = its short side fills the frame) and
// the offset of its centre from the frame's, in frame pixels.
let framing = null;

function frameSize() {
  return $("avatar-frame").clientWidth || 240;
}

/** Keeps the picture covering the whole frame, whatever the zoom and offset. */
function clamp() {
  const { image, zoom } = framing;
  const size = frameSize();
  const scale = (size / Math.min(image.naturalWidth, image.naturalHeight)) * zoom;
  const maxX = Math.max(0, (image.naturalWidth * scale - size) / 2);
  const maxY = Math.max(0, (image.naturalHeight * scale - size) / 2);
  framing.x = Math.min(maxX, Math.max(-maxX, framing.x));
  framing.y = Math.min(maxY, Math.max(-maxY, framing.y));
  return scale;
}

function drawFrame() {
  const scale = clamp();
  const { image, x, y } = framing;
  const size = frameSize();
  Object.assign(image.style, {
    width: `${image.naturalWidth * scale}px`,
    height: `${image.naturalHeight * scale}px`,
    left: `${size / 2 + x - (image.naturalWidth * scale) / 2}px`,
    top: `${size / 2 + y - (image.naturalHeight * scale) / 2}px`,
  });
}

/** The framed square as an image file: WebP where the browser writes it, else PNG. */
async function croppedPicture() {
  const scale = clamp();
  const { image, x, y } = framing;
  const size = frameSize();
  const canvas = Object.assign(document.createElement("canvas"), { width: OUTPUT, height: OUTPUT });
  const g = canvas.getContext("2d");
  // The frame's square in the image's own pixels.
  const side = size / scale;
  const left = image.naturalWidth / 2 - x / scale - side / 2;
  const top = image.naturalHeight / 2 - y / scale - side / 2;
  g.imageSmoothingQuality = "high";
  g.drawImage(image, left, top, side, side, 0, 0, OUTPUT, OUTPUT);
  const webp = await new Promise((resolve) => canvas.toBlob(resolve, "image/webp", 0.9));
  if (webp?.type === "image/webp") return webp;
  return new Promise((resolve) => canvas.toBlob(resolve, "image/png"));
}

function showCurrent() {
  const me = store.me;
  if (!me) return;
  replaceChildren($("avatar-current"), avatar(me));
  $("avatar-remove").hidden = !me.avatar_url;
}

function stopFraming() {
  if (framing) URL.revokeObjectURL(framing.image.src);
  framing = null;
  $("avatar-editor").hidden = true;
  $("avatar-actions").hidden = false;
  $("avatar-status").textContent = "";
}

function startFraming(file) {
  if (!file.type.startsWith("image/")) {
    $("avatar-status").textContent = "Choose a picture (PNG, JPEG, GIF or WebP).";
    return;
  }
  const image = h("img", { alt: "The picture being framed", draggable: "false" });
  image.addEventListener("load", () => {
    framing = { image, zoom: 1, x: 0, y: 0 };
    $("avatar-zoom").value = "1";
    $("avatar-editor").hidden = false;
    $("avatar-actions").hidden = true;
    replaceChildren($("avatar-frame"), image);
    drawFrame();
  });
  image.addEventListener("error", () => {
    URL.revokeObjectURL(image.src);
    $("avatar-status").textContent = "That file is not a picture this browser can show.";
  });
  image.src = URL.createObjectURL(file);
}

async function save() {
  if (!framing) return;
  $("avatar-status").textContent = "Saving…";
  try {
    const picture = await croppedPicture();
    const me = await api.setAvatar(picture);
    updateMe({ avatar_url: me.avatar_url });
    stopFraming();
    showCurrent();
    changed("me", "chat");
  } catch (error) {
    $("avatar-status").textContent = error.status === 429 ? `Too many changes: wait ${error.retryAfter || 1} s.` : error.message;
  }
}

async function remove() {
  try {
    const me = await api.removeAvatar();
    updateMe({ avatar_url: me.avatar_url });
    showCurrent();
    changed("me", "chat");
  } catch (error) {
    $("avatar-status").textContent = error.message;
  }
}

/** Shows the current picture when the settings open. */
export const renderAvatarSettings = () => {
  stopFraming();
  showCurrent();
};

export function setupAvatarEditor() {
  const input = $("avatar-input");
  $("avatar-choose").addEventListener("click", () => input.click());
  input.addEventListener("change", () => {
    if (input.files?.[0]) startFraming(input.files[0]);
    input.value = "";
  });
  $("avatar-zoom").addEventListener("input", () => {
    if (!framing) return;
    framing.zoom = Number($("avatar-zoom").value);
    drawFrame();
  });
  const frame = $("avatar-frame");
  let drag = null;
  frame.addEventListener("pointerdown", (event) => {
    if (!framing) return;
    drag = { id: event.pointerId, x: event.clientX - framing.x, y: event.clientY - framing.y };
    frame.setPointerCapture(event.pointerId);
  });
  frame.addEventListener("pointermove", (event) => {
    if (!drag || event.pointerId !== drag.id) return;
    framing.x = event.clientX - drag.x;
    framing.y = event.clientY - drag.y;
    drawFrame();
  });
  const endDrag = () => (drag = null);
  frame.addEventListener("pointerup", endDrag);
  frame.addEventListener("pointercancel", endDrag);
  frame.addEventListener("wheel", (event) => {
    if (!framing) return;
    event.preventDefault();
    framing.zoom = Math.min(4, Math.max(1, framing.zoom * (event.deltaY < 0 ? 1.1 : 1 / 1.1)));
    $("avatar-zoom").value = String(framing.zoom);
    drawFrame();
  }, { passive: false });
  // The arrow keys move the picture too, for a keyboard.
  frame.addEventListener("keydown", (event) => {
    const step = { ArrowLeft: [-8, 0], ArrowRight: [8, 0], ArrowUp: [0, -8], ArrowDown: [0, 8] }[event.key];
    if (!framing || !step) return;
    event.preventDefault();
    framing.x += step[0];
    framing.y += step[1];
    drawFrame();
  });
  $("avatar-save").addEventListener("click", save);
  $("avatar-cancel").addEventListener("click", stopFraming);
  $("avatar-remove").addEventListener("click", remove);
}
