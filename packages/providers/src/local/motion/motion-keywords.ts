// Picks the camera move for local/motion: `params.motion` when given, else the first camera
// phrase in the prompt ("slow push in", "pan left"…), else a gentle zoom-in.
import type { Motion } from '@mediagate/core';

export const defaultMotion: Motion = 'zoom-in';

/**
 * Phrases per motion, matched on word boundaries. "Tilt" is the film word for a vertical pan,
 * and "dolly/push in" is how shot lists say zoom-in, so both read as their nearest move here.
 */
const phrases: readonly (readonly [Motion, RegExp])[] = [
  ['zoom-out', /\b(zoom(?:s|ing)?[- ]?out|pull(?:s|ing)?[- ]?(?:back|out)|dolly[- ]?out)\b/],
  ['zoom-in', /\b(zoom(?:s|ing)?[- ]?in|push(?:es|ing)?[- ]?in|dolly[- ]?in|close[- ]?in)\b/],
  ['pan-left', /\b(pan(?:s|ning)?[- ]?(?:to[- ]the[- ])?left|truck(?:s|ing)?[- ]?left)\b/],
  ['pan-right', /\b(pan(?:s|ning)?[- ]?(?:to[- ]the[- ])?right|truck(?:s|ing)?[- ]?right)\b/],
  ['pan-up', /\b((?:pan|tilt)(?:s|ing|ning)?[- ]?up(?:ward)?)\b/],
  ['pan-down', /\b((?:pan|tilt)(?:s|ing|ning)?[- ]?down(?:ward)?)\b/],
  ['rotate', /\b(rotat(?:e|es|ing|ion)|spin(?:s|ning)?|twirl(?:s|ing)?|revolv(?:e|es|ing))\b/],
  // Bare "still" or "static" are too often subject matter ("a still life"), so only shot terms count.
  ['none', /\b(static (?:shot|camera)|still (?:shot|frame|camera)|no (?:camera )?(?:motion|movement)|locked[- ]off)\b/],
];

/** The motion a prompt asks for, by its earliest camera phrase; undefined when it names none. */
export function motionFromPrompt(prompt: string): Motion | undefined {
  const text = prompt.toLowerCase();
  let best: { motion: Motion; index: number } | undefined;
  for (const [motion, pattern] of phrases) {
    const match = pattern.exec(text);
    if (match !== null && (best === undefined || match.index < best.index)) best = { motion, index: match.index };
  }
  return best?.motion;
}

export function resolveMotion(explicit: Motion | undefined, prompt: string): Motion {
  return explicit ?? motionFromPrompt(prompt) ?? defaultMotion;
}
