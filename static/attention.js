// Optional attention, MSN style, off until a person turns it on in Settings: a sound for a
// new message and a nudge, and a pop-up when a friend signs in. The choices live in this
// browser (localStorage); the sounds are synthesised (no audio files to fetch).

const KEY = "chat.attention";
const DEFAULTS = { sounds: false, signIns: false };

let audio = null; // the AudioContext, made on the first sound (after a click: autoplay rules)

/** The current choices: `{sounds, signIns}`. */
export function attention() {
  try {
    return { ...DEFAULTS, ...JSON.parse(localStorage.getItem(KEY) ?? "{}") };
  } catch {
    return { ...DEFAULTS };
  }
}

export function setAttention(choices) {
  try {
    localStorage.setItem(KEY, JSON.stringify({ ...attention(), ...choices }));
  } catch {
    // storage off: the choice lasts until the page closes
  }
  if (choices.sounds) unlockAudio();
}

/** Makes (or wakes) the audio context; called from a click, so browsers let it play. */
export function unlockAudio() {
  audio ??= new AudioContext();
  if (audio.state === "suspended") audio.resume().catch(() => {});
}

// Each sound: [frequency in Hz, start in s, length in s].
const SOUNDS = {
  message: [[660, 0, 0.09], [880, 0.1, 0.14]],
  nudge: [[220, 0, 0.08], [196, 0.09, 0.08], [220, 0.18, 0.12]],
  signIn: [[523, 0, 0.1], [659, 0.1, 0.1], [784, 0.2, 0.16]],
};

/** Plays `kind` ("message", "nudge", "signIn") if sounds are on. */
export function play(kind) {
  if (!attention().sounds || !SOUNDS[kind]) return;
  unlockAudio();
  const at = audio.currentTime;
  for (const [frequency, start, length] of SOUNDS[kind]) {
    const tone = audio.createOscillator();
    const gain = audio.createGain();
    tone.frequency.value = frequency;
    gain.gain.setValueAtTime(0.12, at + start);
    gain.gain.exponentialRampToValueAtTime(0.001, at + start + length);
    tone.connect(gain).connect(audio.destination);
    tone.start(at + start);
    tone.stop(at + start + length);
  }
  // What played last, for the browser tests (nothing else reads it).
  document.documentElement.dataset.lastSound = kind;
}
