// The card as SVG: a background layer (gradient, glows, seeded decorative shapes) and a
// foreground layer (scrims, kicker, headline, body, brand). sharp rasterizes both.
import { getFace } from './fonts.ts';
import { clearance, inkRects, type CardPlan, type TextBlock } from './plan.ts';
import { highlightColor, mix, type Palette } from './palette.ts';
import type { Random } from './random.ts';
import { drawLines, shapeText, spaceWidth, type TextStyle } from './typeset.ts';

const round = (value: number): string => (Math.round(value * 10) / 10).toString();

/** An SVG of a `width`×`height` scene, rasterized at `scale` (smooth layers render small, then upscale). */
export function svgDocument(width: number, height: number, body: string, scale = 1): Buffer {
  const [outWidth, outHeight] = [Math.max(1, Math.round(width * scale)), Math.max(1, Math.round(height * scale))];
  return Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${outWidth}" height="${outHeight}" viewBox="0 0 ${width} ${height}" preserveAspectRatio="none">${body}</svg>`,
  );
}

/** Spots within 15% of the best count as ties, so the seed still varies the composition. */
function nearlyBest(best: number): number {
  return best - Math.abs(best) * 0.15;
}

/** The canvas corner farthest from the copy (seeded choice among near-ties), and how far that is. */
function openCorner(random: Random, plan: CardPlan): { x: number; y: number; room: number } {
  const ink = inkRects(plan);
  const corners = [
    { x: 0, y: 0 },
    { x: plan.width, y: 0 },
    { x: 0, y: plan.height },
    { x: plan.width, y: plan.height },
  ].map((point) => ({ ...point, room: clearance(ink, point.x, point.y) }));
  const best = Math.max(...corners.map((point) => point.room));
  return random.pick(corners.filter((point) => point.room >= nearlyBest(best)));
}

function glows(plan: CardPlan, palette: Palette, random: Random): string {
  const long = Math.max(plan.width, plan.height);
  const first = { x: random.range(0.55, 1.05) * plan.width, y: random.range(-0.1, 0.35) * plan.height };
  const second = { x: random.range(-0.05, 0.4) * plan.width, y: random.range(0.7, 1.1) * plan.height };
  const strength = palette.style === 'glow' ? [0.55, 0.4] : [0.22, 0.16];
  const gradient = (id: string, color: string, opacity: number): string =>
    `<radialGradient id="${id}"><stop offset="0" stop-color="${color}" stop-opacity="${opacity}"/>` +
    `<stop offset="0.55" stop-color="${color}" stop-opacity="${opacity * 0.35}"/><stop offset="1" stop-color="${color}" stop-opacity="0"/></radialGradient>`;
  return (
    `<defs>${gradient('g1', palette.accent, strength[0] ?? 0)}${gradient('g2', palette.accentAlt, strength[1] ?? 0)}</defs>` +
    `<circle cx="${round(first.x)}" cy="${round(first.y)}" r="${round(long * random.range(0.55, 0.75))}" fill="url(#g1)"/>` +
    `<circle cx="${round(second.x)}" cy="${round(second.y)}" r="${round(long * random.range(0.45, 0.65))}" fill="url(#g2)"/>`
  );
}

/** One large, quiet shape anchored off a corner: rings, an orbit, or a bold arc. */
function bigMotif(plan: CardPlan, palette: Palette, random: Random): string {
  const unit = plan.unit;
  const at = openCorner(random, plan);
  const line = mix(palette.foreground, palette.background, 0.82);
  // On tall or wide canvases the shape grows with the long side, or it looks lost in a corner.
  const reach = Math.sqrt(Math.max(plan.width, plan.height) / unit);
  const stroke = unit * 0.06;
  const arcRadius = Math.min(unit * random.range(0.3, 0.38) * reach, at.room - stroke / 2 - unit * 0.03);
  // The bold arc only where it clears the copy; thin rings may pass behind text without harm.
  const kinds = arcRadius >= unit * 0.2 ? (['rings', 'orbit', 'arc'] as const) : (['rings', 'orbit'] as const);
  const kind = random.pick(kinds);
  if (kind === 'rings') {
    const radii = [0.26, 0.4, 0.54].map((factor) => factor * unit * reach);
    return radii
      .map((radius) => `<circle cx="${at.x}" cy="${at.y}" r="${round(radius)}" fill="none" stroke="${line}" stroke-width="${round(unit * 0.004)}"/>`)
      .join('');
  }
  if (kind === 'orbit') {
    const radius = unit * random.range(0.42, 0.5) * reach;
    const fill = mix(palette.background, palette.accent, 0.22);
    return (
      `<circle cx="${at.x}" cy="${at.y}" r="${round(radius * 0.72)}" fill="${fill}" fill-opacity="0.55"/>` +
      `<circle cx="${at.x}" cy="${at.y}" r="${round(radius)}" fill="none" stroke="${line}" stroke-width="${round(unit * 0.004)}"/>`
    );
  }
  const color = mix(palette.background, palette.accent, palette.style === 'glow' ? 0.55 : 0.35);
  return `<circle cx="${at.x}" cy="${at.y}" r="${round(arcRadius)}" fill="none" stroke="${color}" stroke-width="${round(stroke)}"/>`;
}

/** A small texture in the emptiest corner: a dot grid or a cluster of plus signs. */
function smallMotif(plan: CardPlan, palette: Palette, random: Random): string {
  const unit = plan.unit;
  const step = unit * 0.03;
  const count = 5;
  const span = step * (count - 1);
  const ink = inkRects(plan);
  const spots = [plan.margin, plan.width - plan.margin - span].flatMap((x) =>
    [plan.margin, plan.height - plan.margin - span].map((y) => ({ x, y, room: clearance(ink, x + span / 2, y + span / 2) - span * 0.71 })),
  );
  const best = Math.max(...spots.map((spot) => spot.room));
  const { x: x0, y: y0 } = random.pick(spots.filter((spot) => spot.room >= nearlyBest(best)));
  const color = mix(palette.foreground, palette.background, 0.6);
  const parts: string[] = [];
  const plus = random.next() < 0.35;
  for (let row = 0; row < count; row++) {
    for (let column = 0; column < count; column++) {
      const x = x0 + column * step;
      const y = y0 + row * step;
      if (plus) {
        if ((row + column) % 2 === 1) continue;
        const arm = step * 0.22;
        parts.push(`M${round(x - arm)} ${round(y)}H${round(x + arm)}M${round(x)} ${round(y - arm)}V${round(y + arm)}`);
      } else {
        parts.push(`<circle cx="${round(x)}" cy="${round(y)}" r="${round(unit * 0.0042)}"/>`);
      }
    }
  }
  if (plus) return `<path d="${parts.join('')}" stroke="${color}" stroke-width="${round(unit * 0.004)}" stroke-linecap="round"/>`;
  return `<g fill="${color}">${parts.join('')}</g>`;
}

/** A poster's big sunset-like disc fills the open space above its low headline. */
function heroDisc(plan: CardPlan, palette: Palette, random: Random): string {
  const radius = Math.min(plan.width, plan.height * 0.75) * random.range(0.36, 0.44);
  const x = plan.width * random.range(0.58, 0.72);
  const y = Math.max(radius * 0.55, plan.textBox.y + plan.textBox.height * 0.3 - radius * 0.9);
  const top = mix(palette.background, palette.accent, palette.style === 'glow' ? 0.5 : 0.22);
  const bottom = mix(palette.backgroundEnd, palette.accentAlt, palette.style === 'glow' ? 0.3 : 0.1);
  const line = mix(palette.foreground, palette.background, 0.8);
  return (
    `<defs><linearGradient id="disc" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="${top}"/><stop offset="1" stop-color="${bottom}"/></linearGradient></defs>` +
    `<circle cx="${round(x)}" cy="${round(y)}" r="${round(radius)}" fill="url(#disc)"/>` +
    `<circle cx="${round(x)}" cy="${round(y)}" r="${round(radius * 1.22)}" fill="none" stroke="${line}" stroke-width="${round(plan.unit * 0.003)}"/>` +
    smallMotif(plan, palette, random)
  );
}

/** A hairline inset frame, the print-poster touch. */
function frame(plan: CardPlan, palette: Palette): string {
  const inset = plan.margin * 0.45;
  return `<rect x="${round(inset)}" y="${round(inset)}" width="${round(plan.width - 2 * inset)}" height="${round(plan.height - 2 * inset)}" fill="none" stroke="${mix(palette.foreground, palette.background, 0.85)}" stroke-width="${round(Math.max(1, plan.unit * 0.002))}"/>`;
}

export interface Backdrop {
  /** Gradient and glows: nothing crisp, so it can be rasterized small and upscaled. */
  smooth: string;
  /** Lines, dots and shapes that need full resolution. */
  crisp: string;
}

export function backgroundLayers(plan: CardPlan, palette: Palette, random: Random): Backdrop {
  const angle = random.range(100, 160) * (Math.PI / 180);
  const half = Math.hypot(plan.width, plan.height) / 2;
  const [cx, cy] = [plan.width / 2, plan.height / 2];
  const dx = Math.cos(angle) * half;
  const dy = Math.sin(angle) * half;
  const gradient =
    `<defs><linearGradient id="bg" gradientUnits="userSpaceOnUse" x1="${round(cx - dx)}" y1="${round(cy - dy)}" x2="${round(cx + dx)}" y2="${round(cy + dy)}">` +
    `<stop offset="0" stop-color="${palette.background}"/><stop offset="1" stop-color="${palette.backgroundEnd}"/></linearGradient></defs>` +
    `<rect width="${plan.width}" height="${plan.height}" fill="url(#bg)"/>`;
  // Under a full-bleed photo only the gradient shows through the photo's transparent parts.
  if (plan.photo?.mode === 'bleed') return { smooth: gradient, crisp: '' };
  const smooth = gradient + glows(plan, palette, random);
  if (plan.layout === 'poster' && !plan.photo) return { smooth, crisp: heroDisc(plan, palette, random) + frame(plan, palette) };
  const decor = plan.photo ? '' : bigMotif(plan, palette, random) + smallMotif(plan, palette, random);
  return { smooth, crisp: decor };
}

function scrim(plan: CardPlan, palette: Palette): string {
  const { width, height } = plan;
  const stop = (offset: number, opacity: number): string =>
    `<stop offset="${offset}" stop-color="${palette.background}" stop-opacity="${opacity}"/>`;
  if (plan.layout === 'poster') {
    return (
      `<defs><linearGradient id="scrim" x1="0" y1="0" x2="0" y2="1">${stop(0, 0.55)}${stop(0.22, 0.05)}${stop(0.4, 0.12)}${stop(0.7, 0.78)}${stop(1, 0.94)}</linearGradient></defs>` +
      `<rect width="${width}" height="${height}" fill="url(#scrim)"/>`
    );
  }
  return (
    `<defs><linearGradient id="scrim" x1="0" y1="0" x2="0" y2="1">${stop(0, 0.5)}${stop(0.5, 0.62)}${stop(1, 0.8)}</linearGradient></defs>` +
    `<rect width="${width}" height="${height}" fill="url(#scrim)"/>`
  );
}

function textPaths(block: TextBlock, left: number, width: number, align: 'left' | 'center', color: string, highlight: string): string {
  const drawn = drawLines(block.lines, {
    fontSize: block.fontSize,
    left,
    width,
    align,
    baseline: block.baseline,
    lineHeight: block.style.lineHeight,
    space: block.space,
  });
  return (
    (drawn.regular ? `<path d="${drawn.regular}" fill="${color}"/>` : '') +
    (drawn.highlight ? `<path d="${drawn.highlight}" fill="${highlight}"/>` : '')
  );
}

const brandStyle: TextStyle = { face: 'bold', tracking: 0.01, lineHeight: 1.2 };

function brandLockup(plan: CardPlan, palette: Palette, text: string): string {
  const place = plan.brand;
  if (!place) return '';
  const mark = place.size * 1.6;
  const initial = shapeText([...text.trim()][0]?.toLocaleUpperCase('en') ?? '', brandStyle);
  const label = shapeText(text, brandStyle);
  const labelWidth = label.reduce((sum, word, index) => sum + word.width + (index > 0 ? spaceWidth(brandStyle) : 0), 0) * place.size;
  const gap = place.size * 0.6;
  const total = (initial.length > 0 ? mark + gap : 0) + labelWidth;
  const left = place.align === 'center' ? place.x - total / 2 : place.x;
  const top = place.y - mark / 2;
  // Centering on cap height (not the em box) puts capitals optically in the middle of the mark.
  const capHeight = getFace(brandStyle.face).capHeight;
  const line = (words: typeof label, size: number): TextBlock => ({
    lines: [{ words, width: 0 }],
    fontSize: size,
    style: brandStyle,
    space: spaceWidth(brandStyle),
    baseline: place.y + (capHeight * size) / 2,
  });
  let svg = '';
  let x = left;
  if (initial.length > 0) {
    const markSize = mark * 0.55;
    const initialWidth = (initial[0]?.width ?? 0) * markSize;
    svg += `<rect x="${round(x)}" y="${round(top)}" width="${round(mark)}" height="${round(mark)}" rx="${round(mark * 0.28)}" fill="${palette.accent}"/>`;
    svg += textPaths(line(initial, markSize), x + (mark - initialWidth) / 2, 0, 'left', palette.onAccent, palette.onAccent);
    x += mark + gap;
  }
  return svg + textPaths(line(label, place.size), x, 0, 'left', palette.foreground, palette.foreground);
}

export function foregroundLayer(plan: CardPlan, palette: Palette, brand: string | undefined): string {
  let svg = plan.photo?.mode === 'bleed' ? scrim(plan, palette) : '';
  if (plan.photo?.mode === 'panel') {
    const { rect, radius } = plan.photo;
    svg += `<rect x="${round(rect.x)}" y="${round(rect.y)}" width="${round(rect.width)}" height="${round(rect.height)}" rx="${round(radius)}" fill="none" stroke="${mix(palette.foreground, palette.background, 0.8)}" stroke-width="${round(Math.max(1, plan.unit * 0.003))}"/>`;
  }
  const box = plan.textBox;
  const eyebrow = plan.eyebrow;
  if (eyebrow) {
    const badge = eyebrow.badge;
    svg += `<rect x="${round(badge.x)}" y="${round(badge.y)}" width="${round(badge.width)}" height="${round(badge.height)}" rx="${round(badge.height / 2)}" fill="${palette.accent}"/>`;
    svg += textPaths(eyebrow, badge.x + eyebrow.fontSize * 0.95, 0, 'left', palette.onAccent, palette.onAccent);
  }
  if (plan.accentBar) {
    const bar = plan.accentBar;
    svg += `<rect x="${round(bar.x)}" y="${round(bar.y)}" width="${round(bar.width)}" height="${round(bar.height)}" rx="${round(bar.height / 2)}" fill="${palette.accent}"/>`;
  }
  svg += textPaths(plan.headline, box.x, box.width, plan.align, palette.foreground, highlightColor(palette));
  if (plan.body) svg += textPaths(plan.body, box.x, box.width, plan.align, palette.muted, palette.muted);
  return svg + (brand ? brandLockup(plan, palette, brand) : '');
}
