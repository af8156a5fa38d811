// Reads a card's copy out of the prompt: an optional kicker ("Summer sale — …"), the headline,
// and body lines after the first line break. Nothing is dropped except what cannot fit anyway.
import type { cardLayouts } from '@mediagate/core';

export type CardLayout = (typeof cardLayouts)[number];

export interface CardCopy {
  /** A short lead-in set as a badge above the headline. */
  eyebrow: string | undefined;
  headline: string;
  body: string | undefined;
}

/**
 * Even at the smallest type size a 4096px card shows well under this many characters; cutting
 * first keeps a 32,000-character prompt from costing seconds of shaping.
 */
const maxCharacters = 1200;

function clip(text: string): string {
  if (text.length <= maxCharacters) return text;
  const cut = text.slice(0, maxCharacters);
  const space = cut.lastIndexOf(' ');
  return `${space > maxCharacters * 0.8 ? cut.slice(0, space) : cut}…`;
}

// "Summer sale — 40% off", "New: dark mode", "Launch week | Day 3": a short lead, then the point.
const leadIn = /^(.{2,32}?)\s*(?:\s[—–|-]\s|:\s)\s*(.{3,})$/u;

export function parsePrompt(prompt: string): CardCopy {
  const lines = clip(prompt.replace(/\r\n?/g, '\n'))
    .split('\n')
    .map((line) => line.replace(/\s+/gu, ' ').trim())
    .filter((line) => line.length > 0);
  const first = lines[0] ?? prompt.trim();
  const body = lines.length > 1 ? lines.slice(1).join(' ') : undefined;
  const match = leadIn.exec(first);
  const lead = match?.[1]?.trim();
  const rest = match?.[2]?.trim();
  if (lead && rest && lead.split(' ').length <= 5 && rest.length > lead.length / 2) {
    return { eyebrow: lead, headline: rest, body };
  }
  return { eyebrow: undefined, headline: first, body };
}
