// Turns a camera move into an ffmpeg filter graph over one still frame, plus the size that still
// must be prepared at. Pure, so the geometry is testable without running ffmpeg.
import type { Motion } from '@mediagate/core';

export interface MotionShot {
  motion: Motion;
  width: number;
  height: number;
  fps: number;
  /** Exact number of output frames. */
  frames: number;
  /**
   * `gentle` for cards, whose text runs close to the frame edges and must stay readable; `full`
   * for photos, where a stronger move reads as intended and losing an edge costs nothing.
   */
  strength: 'gentle' | 'full';
}

export interface MotionPlan {
  /** The still is cover-fitted to this size before ffmpeg sees it. */
  sourceWidth: number;
  sourceHeight: number;
  /** Filters from the still (`[0:v]`) to yuv420p frames of the output size, labelled `[v]`. */
  filter: string;
}

interface Amounts {
  /** How far zoom-in ends (and zoom-out starts). */
  zoom: number;
  /** Pans look through a window this much smaller than the still and slide it edge to edge. */
  pan: number;
  /** Total swing of `rotate` in radians, centred on level so the needed overscan stays small. */
  swing: number;
}

/** Gentle amounts crop at most ~4% per side, inside the card renderer's margins. */
const amounts: Record<MotionShot['strength'], Amounts> = {
  gentle: { zoom: 1.08, pan: 1.06, swing: (3 * Math.PI) / 180 },
  full: { zoom: 1.2, pan: 1.15, swing: (6 * Math.PI) / 180 },
};
/**
 * zoompan crops at whole pixel positions. Cropping an upscaled still and scaling down turns that
 * rounding into sub-pixel steps: measured on a 720p zoom, an edge strays 0.55 px rms from its
 * smooth path at 1× and 0.13 px at 3×. The cap (3× at 720p, 2× at 1080p) bounds the per-frame
 * scaling work, which dominates encode time.
 */
const maxSourcePixels = 8_300_000;

function even(value: number): number {
  return Math.max(2, Math.round(value / 2) * 2);
}

function upscaleFactor(width: number, height: number): number {
  return Math.min(4, Math.max(2, Math.sqrt(maxSourcePixels / (width * height))));
}

/**
 * Eased progress 0→1 over the clip as an ffmpeg expression of the frame counter: smoothstep, so
 * the camera eases in and out instead of starting and stopping with a jolt.
 */
function eased(counter: string, frames: number): string {
  const p = `(${counter}/${Math.max(1, frames - 1)})`;
  return `(${p}*${p}*(3-2*${p}))`;
}

function zoompan(shot: MotionShot, zoom: string, x: string, y: string): string {
  return `zoompan=z='${zoom}':x='${x}':y='${y}':d=${shot.frames}:s=${shot.width}x${shot.height}:fps=${shot.fps}`;
}

/** The filter that moves the camera; `zoompan` makes all frames from the single input frame. */
function moveFilter(shot: MotionShot): { filter: string; overscan: number; usesZoompan: boolean } {
  const { zoom: zoomFactor, pan: panZoom, swing: rotateSwing } = amounts[shot.strength];
  const progress = eased('on', shot.frames);
  const centreX = '(iw-iw/zoom)/2';
  const centreY = '(ih-ih/zoom)/2';
  // Zoom grows geometrically (a constant ratio per frame), which the eye reads as even speed.
  switch (shot.motion) {
    case 'zoom-in':
      return { filter: zoompan(shot, `pow(${zoomFactor},${progress})`, centreX, centreY), overscan: 1, usesZoompan: true };
    case 'zoom-out':
      return { filter: zoompan(shot, `pow(${zoomFactor},1-${progress})`, centreX, centreY), overscan: 1, usesZoompan: true };
    case 'pan-left':
      return { filter: zoompan(shot, `${panZoom}`, `(iw-iw/zoom)*(1-${progress})`, centreY), overscan: 1, usesZoompan: true };
    case 'pan-right':
      return { filter: zoompan(shot, `${panZoom}`, `(iw-iw/zoom)*${progress}`, centreY), overscan: 1, usesZoompan: true };
    case 'pan-up':
      return { filter: zoompan(shot, `${panZoom}`, centreX, `(ih-ih/zoom)*(1-${progress})`), overscan: 1, usesZoompan: true };
    case 'pan-down':
      return { filter: zoompan(shot, `${panZoom}`, centreX, `(ih-ih/zoom)*${progress}`), overscan: 1, usesZoompan: true };
    case 'rotate': {
      // A w×h window turned by θ fits inside the still scaled by cos θ + (long/short)·sin θ.
      const half = rotateSwing / 2;
      const aspect = Math.max(shot.width, shot.height) / Math.min(shot.width, shot.height);
      const overscan = Math.cos(half) + aspect * Math.sin(half) + 0.01;
      const angle = `(${eased('n', shot.frames)}-0.5)*${rotateSwing.toFixed(6)}`;
      // rotate interpolates bilinearly at sub-pixel angles, so it needs no upscaled source.
      return { filter: `rotate=a='${angle}':ow=${shot.width}:oh=${shot.height}:bilinear=1`, overscan, usesZoompan: false };
    }
    case 'none':
      return { filter: '', overscan: 1, usesZoompan: false };
  }
}

export function planMotion(shot: MotionShot): MotionPlan {
  const move = moveFilter(shot);
  const scale = move.usesZoompan ? upscaleFactor(shot.width, shot.height) : move.overscan;
  // The still is RGB: convert it once, with the BT.709 matrix players assume for HD video. zoompan
  // gets planar 4:4:4, which scales faster per frame than packed RGB and, unlike 4:2:0, lets it
  // crop at odd pixels; rotate interpolates anyway, so it gets 4:2:0 and half the pixels to turn.
  const working = move.usesZoompan ? 'yuv444p' : 'yuv420p';
  const steps = ['scale=out_color_matrix=bt709:out_range=tv', `format=${working}`];
  // Without zoompan the one decoded still is repeated in memory rather than re-read per frame.
  if (!move.usesZoompan) steps.push('loop=loop=-1:size=1', `setpts=N/(${shot.fps}*TB)`);
  if (move.filter !== '') steps.push(move.filter);
  steps.push('format=yuv420p', 'setsar=1');
  return {
    sourceWidth: even(shot.width * scale),
    sourceHeight: even(shot.height * scale),
    filter: `[0:v]${steps.join(',')}[v]`,
  };
}
