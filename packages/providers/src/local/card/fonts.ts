// The fonts the card renderer draws with, shipped as npm packages (OFL-1.1) so that text never
// depends on what a machine has installed. Each face is a latin subset plus a latin-ext fallback.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import opentype from 'opentype.js';

export type FaceName = 'display' | 'bold' | 'medium' | 'serif';

const files: Record<FaceName, readonly string[]> = {
  display: [
    '@fontsource/plus-jakarta-sans/files/plus-jakarta-sans-latin-800-normal.woff',
    '@fontsource/plus-jakarta-sans/files/plus-jakarta-sans-latin-ext-800-normal.woff',
  ],
  bold: [
    '@fontsource/plus-jakarta-sans/files/plus-jakarta-sans-latin-700-normal.woff',
    '@fontsource/plus-jakarta-sans/files/plus-jakarta-sans-latin-ext-700-normal.woff',
  ],
  medium: [
    '@fontsource/plus-jakarta-sans/files/plus-jakarta-sans-latin-500-normal.woff',
    '@fontsource/plus-jakarta-sans/files/plus-jakarta-sans-latin-ext-500-normal.woff',
  ],
  serif: [
    '@fontsource/dm-serif-display/files/dm-serif-display-latin-400-normal.woff',
    '@fontsource/dm-serif-display/files/dm-serif-display-latin-ext-400-normal.woff',
  ],
};

/** A glyph and the font it came from (kerning only applies between glyphs of one font). */
export interface FontGlyph {
  font: opentype.Font;
  glyph: opentype.Glyph;
}

export interface Face {
  /** Cap height in em, for aligning the top of a text block with its box. */
  capHeight: number;
  unitsPerEm: number;
  /** The glyph for one character, or undefined when no font of the face has it. */
  glyph(character: string): FontGlyph | undefined;
}

const require = createRequire(import.meta.url);
const fonts = new Map<string, opentype.Font>();
const faces = new Map<FaceName, Face>();

function loadFont(specifier: string): opentype.Font {
  let font = fonts.get(specifier);
  if (!font) {
    const bytes = readFileSync(require.resolve(specifier));
    font = opentype.parse(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
    fonts.set(specifier, font);
  }
  return font;
}

function createFace(name: FaceName): Face {
  const specifiers = files[name];
  const primary = loadFont(specifiers[0] ?? '');
  const cache = new Map<string, FontGlyph | undefined>();
  const lookup = (character: string): FontGlyph | undefined => {
    // The fallback subset is parsed only when a character needs it: most prompts never do.
    for (const specifier of specifiers) {
      const font = specifier === specifiers[0] ? primary : loadFont(specifier);
      const glyph = font.charToGlyph(character);
      if (glyph.index !== 0) return { font, glyph };
    }
    return undefined;
  };
  const os2 = primary.tables.os2 as { sCapHeight?: number } | undefined;
  return {
    capHeight: (os2?.sCapHeight ?? primary.unitsPerEm * 0.7) / primary.unitsPerEm,
    unitsPerEm: primary.unitsPerEm,
    glyph(character) {
      if (cache.has(character)) return cache.get(character);
      let found = lookup(character);
      if (!found) {
        // "ǘ" without a precomposed glyph still reads as "u" better than as nothing.
        const base = character.normalize('NFD').replace(/\p{M}/gu, '');
        if (base && base !== character) found = lookup(base);
      }
      cache.set(character, found);
      return found;
    },
  };
}

export function getFace(name: FaceName): Face {
  let face = faces.get(name);
  if (!face) {
    face = createFace(name);
    faces.set(name, face);
  }
  return face;
}
