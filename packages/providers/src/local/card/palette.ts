// Card colors: each theme is a small palette, and `params.colors` overrides parts of it. Colors
// the caller did not pick are derived so that text always keeps readable contrast.
import type { CardTheme, GenerationParams } from '@mediagate/core';
import type { Random } from './random.ts';

export interface Palette {
  /** Gradient start and end of the background. */
  background: string;
  backgroundEnd: string;
  foreground: string;
  /** Secondary text (body lines, brand name). */
  muted: string;
  accent: string;
  /** A second decorative hue, for glows and shapes. */
  accentAlt: string;
  /** Text drawn on an accent fill (badges, brand mark). */
  onAccent: string;
  /** Dark themes get soft glows; light ones flat, print-like shapes. */
  style: 'glow' | 'flat';
  serif: boolean;
}

interface ThemeColors {
  background: string;
  backgroundEnd: string;
  foreground: string;
  accent: string;
  accentAlt: string;
  serif?: boolean;
}

const themes: Record<CardTheme, ThemeColors> = {
  midnight: { background: '#0b1026', backgroundEnd: '#2a1f63', foreground: '#f8fafc', accent: '#a5b4fc', accentAlt: '#f472b6' },
  sunrise: { background: '#ea580c', backgroundEnd: '#be185d', foreground: '#fffbeb', accent: '#fde047', accentAlt: '#fb7185' },
  paper: { background: '#f6f1e7', backgroundEnd: '#ece3d0', foreground: '#1c1917', accent: '#c2410c', accentAlt: '#0f766e', serif: true },
  ocean: { background: '#082f49', backgroundEnd: '#0e7490', foreground: '#f0f9ff', accent: '#5eead4', accentAlt: '#38bdf8' },
  forest: { background: '#052e16', backgroundEnd: '#14532d', foreground: '#f0fdf4', accent: '#bef264', accentAlt: '#34d399' },
  neon: { background: '#07060f', backgroundEnd: '#1e0b3a', foreground: '#ffffff', accent: '#22d3ee', accentAlt: '#e879f9' },
  mono: { background: '#fafafa', backgroundEnd: '#e7e5e4', foreground: '#0a0a0a', accent: '#0a0a0a', accentAlt: '#737373' },
};

interface Rgb {
  r: number;
  g: number;
  b: number;
}

export function parseHex(hex: string): Rgb {
  const body = hex.replace('#', '');
  const full = body.length === 3 ? [...body].map((digit) => digit + digit).join('') : body.padEnd(6, '0');
  const value = Number.parseInt(full.slice(0, 6), 16);
  return { r: (value >> 16) & 255, g: (value >> 8) & 255, b: value & 255 };
}

function toHex({ r, g, b }: Rgb): string {
  const channel = (value: number): string => Math.round(Math.min(255, Math.max(0, value))).toString(16).padStart(2, '0');
  return `#${channel(r)}${channel(g)}${channel(b)}`;
}

/** Linear blend of two colors; t = 0 gives `from`. */
export function mix(from: string, to: string, t: number): string {
  const a = parseHex(from);
  const b = parseHex(to);
  return toHex({ r: a.r + (b.r - a.r) * t, g: a.g + (b.g - a.g) * t, b: a.b + (b.b - a.b) * t });
}

/** WCAG relative luminance, 0 (black) to 1 (white). */
export function luminance(hex: string): number {
  const { r, g, b } = parseHex(hex);
  const linear = (channel: number): number => {
    const value = channel / 255;
    return value <= 0.03928 ? value / 12.92 : ((value + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b);
}

export function contrast(first: string, second: string): number {
  const [light, dark] = [luminance(first), luminance(second)].sort((x, y) => y - x) as [number, number];
  return (light + 0.05) / (dark + 0.05);
}

/** Rotates the hue by `degrees` (in RGB space, which is cheap and keeps lightness close). */
function rotateHue(hex: string, degrees: number): string {
  const { r, g, b } = parseHex(hex);
  const angle = (degrees * Math.PI) / 180;
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  const third = 1 / 3;
  const root = Math.sqrt(third);
  const m0 = cos + (1 - cos) * third;
  const m1 = third * (1 - cos) - root * sin;
  const m2 = third * (1 - cos) + root * sin;
  return toHex({ r: r * m0 + g * m1 + b * m2, g: r * m2 + g * m0 + b * m1, b: r * m1 + g * m2 + b * m0 });
}

function readableOn(background: string, preferred: string): string {
  // 3:1 is the WCAG bar for large text, and every line on a card is display-sized.
  if (contrast(preferred, background) >= 3) return preferred;
  return contrast('#ffffff', background) >= contrast('#0b0b0f', background) ? '#ffffff' : '#0b0b0f';
}

/** Text color on an accent fill: a palette color if it reads well, else near-black or white. */
function onAccent(accent: string, preferred: readonly string[]): string {
  const candidates = [...preferred, '#0b0b0f', '#ffffff'];
  const good = candidates.find((color) => contrast(color, accent) >= 4.5);
  return good ?? candidates.reduce((best, color) => (contrast(color, accent) > contrast(best, accent) ? color : best));
}

/**
 * The palette for a request. Without a background override the theme's hues drift a few degrees
 * with the seed, so a series of cards feels related but not identical.
 */
export function resolvePalette(params: GenerationParams, random: Random): Palette {
  const theme = themes[params.theme ?? 'midnight'];
  const overrides = params.colors ?? {};
  const drift = random.range(-9, 9);
  let background = theme.background;
  let backgroundEnd = theme.backgroundEnd;
  if (overrides.background !== undefined) {
    background = toHex(parseHex(overrides.background));
    // A same-family second stop: lighter for dark colors, slightly deeper for light ones.
    backgroundEnd = luminance(background) < 0.35 ? rotateHue(mix(background, '#ffffff', 0.16), 24) : mix(background, '#000000', 0.08);
  } else if (params.theme !== 'mono') {
    background = rotateHue(background, drift);
    backgroundEnd = rotateHue(backgroundEnd, drift);
  }
  const middle = mix(background, backgroundEnd, 0.5);
  const style = luminance(middle) > 0.45 ? 'flat' : 'glow';
  const foreground = overrides.foreground !== undefined ? toHex(parseHex(overrides.foreground)) : readableOn(middle, theme.foreground);
  let accent = overrides.accent !== undefined ? toHex(parseHex(overrides.accent)) : theme.accent;
  let accentAlt = overrides.accent !== undefined ? rotateHue(accent, 48) : theme.accentAlt;
  if (overrides.accent === undefined && contrast(accent, middle) < 2.2) {
    // A custom background the theme's accent disappears on: take a complementary hue instead.
    const toward = luminance(middle) > 0.4 ? '#000000' : '#ffffff';
    accent = mix(rotateHue(middle, 160), toward, 0.5);
    accentAlt = mix(rotateHue(middle, 100), toward, 0.3);
  }
  return {
    background,
    backgroundEnd,
    foreground,
    muted: mix(foreground, middle, 0.28),
    accent,
    accentAlt,
    onAccent: onAccent(accent, [background, foreground]),
    style,
    serif: theme.serif === true && params.colors?.background === undefined,
  };
}

/** The accent if it reads on the background, else the foreground (for highlighted words). */
export function highlightColor(palette: Palette): string {
  const middle = mix(palette.background, palette.backgroundEnd, 0.5);
  return contrast(palette.accent, middle) >= 3 ? palette.accent : palette.foreground;
}
