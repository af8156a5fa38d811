// The card's typography plan: picks the largest headline size at which the copy fits its box,
// wraps it into balanced lines and stacks kicker, headline and body. Pure, so tests can check fit.
import { parsePrompt, type CardLayout } from './prompt.ts';
import { planRegions, type Rect, type Regions } from './regions.ts';
import { getFace } from './fonts.ts';
import {
  shapeText,
  spaceWidth,
  truncateLines,
  wordsFit,
  wrapBalanced,
  wrapWords,
  type Line,
  type TextStyle,
  type Word,
} from './typeset.ts';

export interface TextBlock {
  lines: Line[];
  fontSize: number;
  style: TextStyle;
  space: number;
  /** Baseline of the first line, px. */
  baseline: number;
}

export interface CardPlan extends Regions {
  width: number;
  height: number;
  layout: CardLayout;
  headline: TextBlock;
  /** The kicker badge: its text block and the pill drawn behind it. */
  eyebrow: (TextBlock & { badge: Rect }) | undefined;
  body: TextBlock | undefined;
  /** A short accent rule above the headline when there is no kicker. */
  accentBar: Rect | undefined;
  /** The headline size bounds the fit searched between. */
  sizeRange: { min: number; max: number };
  /** Copy had to be cut to fit even at the smallest size. */
  truncated: boolean;
}

export interface PlanInput {
  prompt: string;
  width: number;
  height: number;
  layout: CardLayout;
  serif: boolean;
  hasPhoto: boolean;
  brand: string | undefined;
}

const descent = 0.22; // Room kept under the last baseline for descenders, in em.

function headlineStyle(layout: CardLayout, serif: boolean): TextStyle {
  if (serif) return { face: 'serif', tracking: -0.005, lineHeight: layout === 'poster' ? 1.0 : 1.06 };
  return { face: 'display', tracking: layout === 'poster' ? -0.035 : -0.028, lineHeight: layout === 'poster' ? 0.98 : 1.06 };
}

const eyebrowStyle: TextStyle = { face: 'bold', tracking: 0.12, lineHeight: 1.2 };
const bodyStyle: TextStyle = { face: 'medium', tracking: -0.005, lineHeight: 1.38 };

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}

interface Stack {
  headlineLines: Line[];
  bodyLines: Line[];
  eyebrowSize: number;
  bodySize: number;
  /** Heights of what sits above the headline (kicker or accent bar, plus its gap), px. */
  lead: number;
  height: number;
}

export function planCard(input: PlanInput): CardPlan {
  const regions = planRegions({ ...input, hasBrand: input.brand !== undefined });
  const { unit, textBox } = regions;
  const copy = parsePrompt(input.prompt);
  const style = headlineStyle(input.layout, input.serif);
  // Short poster headlines go uppercase for impact; long ones stay readable in sentence case.
  const upper = input.layout === 'poster' && !input.serif && copy.headline.length <= 36;
  const headlineWords = shapeText(upper ? copy.headline.toLocaleUpperCase('en') : copy.headline, style, true);
  const bodyWords: Word[] = copy.body ? shapeText(copy.body, bodyStyle) : [];
  const headSpace = spaceWidth(style);
  const bodySpace = spaceWidth(bodyStyle);
  const capHeight = getFace(style.face).capHeight;
  const bodyCap = getFace(bodyStyle.face).capHeight;

  const scale = input.layout === 'poster' ? 0.2 : input.layout === 'centered' ? 0.17 : 0.16;
  const max = Math.max(8, unit * scale * (regions.photo?.mode === 'panel' ? 0.85 : 1));
  const min = Math.min(max, Math.max(6, unit * 0.03));

  const headHeight = (lines: number, size: number): number => capHeight * size + (lines - 1) * style.lineHeight * size + descent * size;
  const bodyHeight = (lines: number, size: number): number =>
    lines === 0 ? 0 : size * 1.1 + bodyCap * size + (lines - 1) * bodyStyle.lineHeight * size + descent * size;

  const stack = (size: number, bodyLimit = Infinity): Stack => {
    const eyebrowSize = clamp(size * 0.22, unit * 0.022, unit * 0.034);
    const bodySize = clamp(size * 0.34, unit * 0.026, unit * 0.04);
    const lead = copy.eyebrow ? eyebrowSize * 2.3 + size * 0.4 : Math.max(3, unit * 0.009) + size * 0.45;
    const headlineLines = wrapWords(headlineWords, textBox.width / size, headSpace);
    const bodyLines = wrapWords(bodyWords, textBox.width / bodySize, bodySpace).slice(0, bodyLimit);
    const height = lead + headHeight(headlineLines.length, size) + bodyHeight(bodyLines.length, bodySize);
    return { headlineLines, bodyLines, eyebrowSize, bodySize, lead, height };
  };
  const fits = (size: number): boolean => wordsFit(headlineWords, textBox.width / size) && stack(size).height <= textBox.height;

  let size = min;
  let truncated = false;
  let chosen: Stack;
  if (fits(max)) size = max;
  else if (fits(min)) {
    let low = min;
    let high = max;
    for (let step = 0; step < 16 && high - low > 0.5; step++) {
      const middle = (low + high) / 2;
      if (fits(middle)) low = middle;
      else high = middle;
    }
    size = low;
  }
  chosen = stack(size);
  if (chosen.height > textBox.height) {
    // Even the smallest size overflows: give up body lines first, then headline lines.
    truncated = true;
    let bodyLimit = chosen.bodyLines.length;
    while (bodyLimit > 0 && chosen.height > textBox.height) chosen = stack(size, --bodyLimit);
    if (chosen.height > textBox.height) {
      const room = textBox.height - chosen.lead - (capHeight + descent) * size;
      const lines = Math.max(1, Math.floor(room / (style.lineHeight * size)) + 1);
      const cut = truncateLines(chosen.headlineLines, lines, textBox.width / size, headSpace, style);
      chosen = { ...chosen, headlineLines: cut, height: chosen.lead + headHeight(cut.length, size) };
    }
  } else {
    chosen = { ...chosen, headlineLines: wrapBalanced(headlineWords, textBox.width / size, headSpace) };
  }

  const top = textBox.y + (regions.vertical === 'bottom' ? textBox.height - chosen.height : (textBox.height - chosen.height) / 2);
  const headlineTop = top + chosen.lead;
  const headline: TextBlock = { lines: chosen.headlineLines, fontSize: size, style, space: headSpace, baseline: headlineTop + capHeight * size };
  const lastBaseline = headline.baseline + (chosen.headlineLines.length - 1) * style.lineHeight * size;
  const body: TextBlock | undefined =
    chosen.bodyLines.length > 0
      ? {
          lines: chosen.bodyLines,
          fontSize: chosen.bodySize,
          style: bodyStyle,
          space: bodySpace,
          baseline: lastBaseline + descent * size + chosen.bodySize * 1.1 + bodyCap * chosen.bodySize,
        }
      : undefined;
  return {
    ...regions,
    width: input.width,
    height: input.height,
    layout: input.layout,
    headline,
    eyebrow: copy.eyebrow ? planEyebrow(copy.eyebrow, chosen.eyebrowSize, top, regions) : undefined,
    body,
    accentBar: copy.eyebrow ? undefined : accentBar(top, regions, Math.max(3, unit * 0.009)),
    sizeRange: { min, max },
    truncated,
  };
}

function accentBar(top: number, regions: Regions, thickness: number): Rect {
  const width = regions.unit * 0.085;
  const x = regions.align === 'center' ? regions.textBox.x + (regions.textBox.width - width) / 2 : regions.textBox.x;
  return { x, y: top, width, height: thickness };
}

function planEyebrow(text: string, size: number, top: number, regions: Regions): TextBlock & { badge: Rect } {
  const space = spaceWidth(eyebrowStyle);
  const words = shapeText(text.toLocaleUpperCase('en'), eyebrowStyle);
  const padding = size * 0.95;
  const measure = (regions.textBox.width - 2 * padding) / size;
  const lines = truncateLines(wrapWords(words, measure, space), 1, measure, space, eyebrowStyle);
  const textWidth = (lines[0]?.width ?? 0) * size;
  const badge = { x: regions.textBox.x, y: top, width: textWidth + 2 * padding, height: size * 2.3 };
  if (regions.align === 'center') badge.x = regions.textBox.x + (regions.textBox.width - badge.width) / 2;
  const capHeight = getFace(eyebrowStyle.face).capHeight;
  return { lines, fontSize: size, style: eyebrowStyle, space, baseline: top + (badge.height + capHeight * size) / 2, badge };
}

/**
 * Rectangles that hold ink (kicker, headline lines, body, brand), so decoration can keep clear
 * of the copy. The brand's label width is estimated: it only has to be roughly right.
 */
export function inkRects(plan: CardPlan): Rect[] {
  const rects: Rect[] = [];
  const { textBox } = plan;
  const addLines = (block: TextBlock, capHeight: number): void => {
    block.lines.forEach((line, index) => {
      const width = line.width * block.fontSize;
      const x = plan.align === 'center' ? textBox.x + (textBox.width - width) / 2 : textBox.x;
      const baseline = block.baseline + index * block.style.lineHeight * block.fontSize;
      rects.push({ x, y: baseline - capHeight * block.fontSize, width, height: (capHeight + descent) * block.fontSize });
    });
  };
  addLines(plan.headline, getFace(plan.headline.style.face).capHeight);
  if (plan.body) addLines(plan.body, getFace(plan.body.style.face).capHeight);
  if (plan.eyebrow) rects.push(plan.eyebrow.badge);
  if (plan.accentBar) rects.push(plan.accentBar);
  if (plan.brand) {
    const width = plan.unit * 0.4;
    const x = plan.brand.align === 'center' ? plan.brand.x - width / 2 : plan.brand.x;
    rects.push({ x, y: plan.brand.y - plan.brand.size, width, height: plan.brand.size * 2 });
  }
  return rects;
}

/** Distance from a point to the nearest ink (0 when the point is on it). */
export function clearance(rects: readonly Rect[], x: number, y: number): number {
  let nearest = Infinity;
  for (const rect of rects) {
    const dx = Math.max(rect.x - x, 0, x - (rect.x + rect.width));
    const dy = Math.max(rect.y - y, 0, y - (rect.y + rect.height));
    nearest = Math.min(nearest, Math.hypot(dx, dy));
  }
  return nearest;
}
