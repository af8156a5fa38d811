// Text shaping and line breaking for the card: words are measured once at 1 em with the font's
// own advances and kerning, so wrapping and size fitting at any pixel size is only arithmetic.
import { getFace, type FaceName, type FontGlyph } from './fonts.ts';

export interface TextStyle {
  face: FaceName;
  /** Extra space between letters, in em (negative tightens display type). */
  tracking: number;
  /** Baseline-to-baseline distance, in em. */
  lineHeight: number;
}

interface PlacedGlyph {
  glyph: FontGlyph;
  /** Offset from the start of the word, in em. */
  x: number;
}

export interface Word {
  text: string;
  glyphs: PlacedGlyph[];
  /** Ink advance of the word, in em. */
  width: number;
  /** Drawn in the highlight color (numbers, prices, percentages). */
  highlight: boolean;
}

export interface Line {
  words: Word[];
  /** Width including the spaces between words, in em. */
  width: number;
}

/** Shapes one word: per-character glyph lookup with fallback, kerning inside each font. */
export function shapeWord(text: string, style: TextStyle, highlight = false): Word {
  const face = getFace(style.face);
  const glyphs: PlacedGlyph[] = [];
  let x = 0;
  let previous: FontGlyph | undefined;
  for (const character of text) {
    const found = face.glyph(character);
    if (!found) continue; // Characters no bundled font has (emoji, CJK) are left out, not boxed.
    const scale = 1 / found.font.unitsPerEm;
    if (previous && previous.font === found.font) x += found.font.getKerningValue(previous.glyph, found.glyph) * scale;
    glyphs.push({ glyph: found, x });
    x += (found.glyph.advanceWidth ?? 0) * scale + style.tracking;
    previous = found;
  }
  return { text, glyphs, width: glyphs.length > 0 ? x - style.tracking : 0, highlight };
}

/** Words that carry the offer ("40%", "$19", "2×") are what a marketing card highlights. */
function isHighlight(word: string): boolean {
  return /\d/.test(word) && word.length <= 12;
}

export function shapeText(text: string, style: TextStyle, highlightNumbers = false): Word[] {
  return text
    .split(/\s+/u)
    .filter((word) => word.length > 0)
    .map((word) => shapeWord(word, style, highlightNumbers && isHighlight(word)))
    .filter((word) => word.glyphs.length > 0);
}

export function spaceWidth(style: TextStyle): number {
  const space = getFace(style.face).glyph(' ');
  const advance = space ? (space.glyph.advanceWidth ?? 0) / space.font.unitsPerEm : 0.25;
  return advance + style.tracking;
}

/** Splits a word wider than the line (a URL, a long compound) into pieces that fit. */
function breakWord(word: Word, maxWidth: number): Word[] {
  const pieces: Word[] = [];
  let start = 0;
  while (start < word.glyphs.length) {
    const origin = word.glyphs[start]?.x ?? 0;
    let end = start + 1;
    while (end < word.glyphs.length && (word.glyphs[end + 1]?.x ?? word.width) - origin <= maxWidth) end++;
    const glyphs = word.glyphs.slice(start, end).map((placed) => ({ glyph: placed.glyph, x: placed.x - origin }));
    const width = (word.glyphs[end]?.x ?? word.width) - origin;
    pieces.push({ text: word.text, glyphs, width, highlight: word.highlight });
    start = end;
  }
  return pieces;
}

/** Greedy line breaking at a width in em. */
export function wrapWords(words: readonly Word[], maxWidth: number, space: number): Line[] {
  const lines: Line[] = [];
  let current: Line | undefined;
  for (const whole of words) {
    for (const word of whole.width > maxWidth ? breakWord(whole, maxWidth) : [whole]) {
      if (current && current.width + space + word.width <= maxWidth) {
        current.words.push(word);
        current.width += space + word.width;
      } else {
        current = { words: [word], width: word.width };
        lines.push(current);
      }
    }
  }
  return lines;
}

/**
 * Wraps into the fewest lines, then narrows the measure as far as it can without adding a line,
 * so a headline reads as an even block instead of a full line and a one-word orphan.
 */
export function wrapBalanced(words: readonly Word[], maxWidth: number, space: number): Line[] {
  const greedy = wrapWords(words, maxWidth, space);
  if (greedy.length < 2) return greedy;
  let low = Math.max(...words.map((word) => Math.min(word.width, maxWidth)));
  let high = maxWidth;
  for (let step = 0; step < 12 && high - low > 0.01; step++) {
    const middle = (low + high) / 2;
    if (wrapWords(words, middle, space).length <= greedy.length) high = middle;
    else low = middle;
  }
  return wrapWords(words, high, space);
}

/** Whether every word fits on a line whole at this measure (no forced mid-word breaks). */
export function wordsFit(words: readonly Word[], maxWidth: number): boolean {
  return words.every((word) => word.width <= maxWidth);
}

/** Keeps the first `maxLines` lines, ending the last with an ellipsis that still fits. */
export function truncateLines(lines: Line[], maxLines: number, maxWidth: number, space: number, style: TextStyle): Line[] {
  if (lines.length <= maxLines) return lines;
  const kept = lines.slice(0, Math.max(1, maxLines));
  const last = kept[kept.length - 1];
  if (!last) return kept;
  const ellipsis = shapeWord('…', style);
  const words = [...last.words];
  const widthOf = (list: Word[]): number => list.reduce((sum, word, index) => sum + word.width + (index > 0 ? space : 0), 0);
  while (words.length > 1 && widthOf(words) + ellipsis.width > maxWidth) words.pop();
  const tail = words[words.length - 1];
  if (tail) words[words.length - 1] = shapeWord(`${tail.text}…`, style, tail.highlight);
  kept[kept.length - 1] = { words, width: widthOf(words) };
  return kept;
}

export interface DrawOptions {
  fontSize: number;
  /** Left edge of the text column, in px. */
  left: number;
  /** Column width, in px, for centered alignment. */
  width: number;
  align: 'left' | 'center';
  /** Baseline of the first line, in px. */
  baseline: number;
  lineHeight: number;
  space: number;
}

/** SVG path data for the lines, split into regular and highlighted words. */
export function drawLines(lines: readonly Line[], options: DrawOptions): { regular: string; highlight: string } {
  const regular: string[] = [];
  const highlight: string[] = [];
  const { fontSize } = options;
  lines.forEach((line, index) => {
    let x = options.left + (options.align === 'center' ? (options.width - line.width * fontSize) / 2 : 0);
    const y = options.baseline + index * options.lineHeight * fontSize;
    for (const word of line.words) {
      const target = word.highlight ? highlight : regular;
      for (const placed of word.glyphs) {
        target.push(placed.glyph.glyph.getPath(x + placed.x * fontSize, y, fontSize).toPathData(1));
      }
      x += (word.width + options.space) * fontSize;
    }
  });
  return { regular: regular.join(''), highlight: highlight.join('') };
}
