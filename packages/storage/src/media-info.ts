// What a probe learns about a media file, and the one error a probe throws when the bytes are not
// valid media. The engine maps MediaError to the `output_invalid` error class.

export type MediaKind = 'image' | 'video' | 'audio';

export const mediaFormats = [
  'png',
  'jpeg',
  'webp',
  'gif',
  'mp4',
  'webm',
  'mov',
  'wav',
  'mp3',
  'ogg',
  'flac',
  'aac',
] as const;
export type MediaFormat = (typeof mediaFormats)[number];

export interface MediaInfo {
  /** Canonical mime type derived from the bytes (never from a declared Content-Type). */
  mime: string;
  kind: MediaKind;
  format: MediaFormat;
  /** Pixels; set for images and videos. */
  width?: number;
  height?: number;
  /** Set for videos and audio. */
  durationMs?: number;
  /** File size in bytes. */
  size: number;
}

/** Why a file was rejected, for logs and the job record; the message says it in words. */
export type MediaErrorReason =
  | 'empty' // zero bytes
  | 'unrecognized' // no known magic bytes
  | 'unsupported_format' // recognized, but not a format Mediagate accepts
  | 'wrong_kind' // valid media, but not the kind that was asked for
  | 'truncated' // the structure ends before the file says it should
  | 'corrupt' // structurally wrong or not decodable
  | 'no_content'; // decodable but without the stream or duration a usable output needs

export class MediaError extends Error {
  override readonly name = 'MediaError';
  readonly reason: MediaErrorReason;

  constructor(reason: MediaErrorReason, message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.reason = reason;
  }
}
