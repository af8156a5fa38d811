// Where things go on a card: margins, the text column, the photo and the brand, per layout and
// aspect ratio. Pure geometry, so layouts can be tested and tuned without rendering.
import type { CardLayout } from './prompt.ts';

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface PhotoPlacement {
  rect: Rect;
  radius: number;
  /** Full-bleed under a scrim, or a framed panel beside/above the text. */
  mode: 'bleed' | 'panel';
}

export interface Regions {
  /** The short side: every size on the card scales with it. */
  unit: number;
  margin: number;
  textBox: Rect;
  align: 'left' | 'center';
  vertical: 'center' | 'bottom';
  photo: PhotoPlacement | undefined;
  brand: { x: number; y: number; align: 'left' | 'center'; size: number } | undefined;
}

export interface RegionInput {
  width: number;
  height: number;
  layout: CardLayout;
  hasPhoto: boolean;
  hasBrand: boolean;
}

/** Brand lockup size: a mark plus a label, read at a glance but never competing with the headline. */
function brandSize(unit: number): number {
  return Math.max(7, unit * 0.028);
}

export function planRegions(input: RegionInput): Regions {
  const { width, height, layout } = input;
  const unit = Math.min(width, height);
  const margin = Math.round(unit * 0.075);
  const size = brandSize(unit);
  // The brand row is a mark 1.6× the label size; keep a gap under it before any text starts.
  const band = input.hasBrand ? size * 1.6 + margin * 0.55 : 0;
  // Very wide banners: a measure past ~1.4 short sides makes lines too long to read in one go.
  const measure = unit * 1.45;

  if (layout === 'left' && input.hasPhoto) {
    const radius = unit * 0.03;
    if (width / height >= 1.15) {
      const split = Math.round(width * 0.5);
      const photo = { x: split, y: margin, width: width - split - margin, height: height - 2 * margin };
      const textWidth = split - margin * 2;
      const textBox = { x: margin, y: margin + band, width: textWidth, height: height - 2 * margin - band };
      const brand = input.hasBrand ? { x: margin, y: margin + size * 0.8, align: 'left' as const, size } : undefined;
      return { unit, margin, textBox, align: 'left', vertical: 'center', photo: { rect: photo, radius, mode: 'panel' }, brand };
    }
    const photoHeight = Math.round((height - 2 * margin) * (height / width > 1.5 ? 0.52 : 0.46));
    const photo = { x: margin, y: margin, width: width - 2 * margin, height: photoHeight };
    const top = margin + photoHeight + margin * 0.75;
    const textBox = { x: margin, y: top, width: width - 2 * margin, height: height - top - margin - band };
    const brand = input.hasBrand ? { x: margin, y: height - margin - size * 0.8, align: 'left' as const, size } : undefined;
    return { unit, margin, textBox, align: 'left', vertical: 'center', photo: { rect: photo, radius, mode: 'panel' }, brand };
  }

  const bleed: PhotoPlacement | undefined = input.hasPhoto
    ? { rect: { x: 0, y: 0, width, height }, radius: 0, mode: 'bleed' }
    : undefined;

  if (layout === 'centered') {
    const padding = Math.max(margin * 1.4, (width - measure) / 2);
    const reserve = margin + Math.max(band, margin * 0.35);
    const textBox = { x: padding, y: reserve, width: width - 2 * padding, height: height - 2 * reserve };
    const brand = input.hasBrand ? { x: width / 2, y: height - margin - size * 0.8, align: 'center' as const, size } : undefined;
    return { unit, margin, textBox, align: 'center', vertical: 'center', photo: bleed, brand };
  }

  const brand = input.hasBrand ? { x: margin, y: margin + size * 0.8, align: 'left' as const, size } : undefined;
  if (layout === 'poster') {
    // The headline sits low and big; the top stays open for the background (or the photo) to breathe.
    const top = margin + band + height * 0.12;
    const textWidth = Math.min(width - 2 * margin, unit * 1.7);
    const textBox = { x: margin, y: top, width: textWidth, height: height - top - margin };
    return { unit, margin, textBox, align: 'left', vertical: 'bottom', photo: bleed, brand };
  }

  const left = margin * 1.2;
  const textWidth = Math.min(width - 2 * left, width > height * 1.15 ? width * 0.7 : width, measure);
  const textBox = { x: left, y: margin + band, width: textWidth, height: height - margin * 2.2 - band };
  return { unit, margin, textBox, align: 'left', vertical: 'center', photo: bleed, brand };
}
