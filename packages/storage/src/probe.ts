// Verifies that output bytes are real media before a job accepts them ("never a placeholder"):
// magic bytes decide the format, then a structural check per format and dimensions/duration.
import { fileTypeFromBuffer, fileTypeFromFile } from 'file-type';
import type { FileTypeResult } from 'file-type';
import { checkIsoBoxes, checkWebmSegment } from './container-structure.ts';
import { runFfprobe } from './ffprobe.ts';
import { BufferReader, FileReader, type ByteSource } from './file-reader.ts';
import { imageSignature } from './image-signature.ts';
import { inspectImage } from './image-structure.ts';
import type { MediaFormat, MediaInfo, MediaKind } from './media-info.ts';
import { MediaError } from './media-info.ts';
import { wavDurationMs } from './wav.ts';

/** file-type extensions → the format Mediagate calls it. */
const formatByExtension: Readonly<Record<string, MediaFormat>> = {
  png: 'png',
  apng: 'png',
  jpg: 'jpeg',
  webp: 'webp',
  gif: 'gif',
  mp4: 'mp4',
  m4v: 'mp4',
  m4a: 'mp4',
  webm: 'webm',
  mov: 'mov',
  wav: 'wav',
  mp3: 'mp3',
  ogg: 'ogg',
  oga: 'ogg',
  ogv: 'ogg',
  opus: 'ogg',
  flac: 'flac',
  aac: 'aac',
};

const imageFormats = new Set<MediaFormat>(['png', 'jpeg', 'webp', 'gif']);
const audioOnlyFormats = new Set<MediaFormat>(['wav', 'mp3', 'flac', 'aac']);

/** Canonical mime per format and kind (containers can hold video or audio only). */
const mimeTypes: Readonly<Record<MediaFormat, Partial<Record<MediaKind, string>>>> = {
  png: { image: 'image/png' },
  jpeg: { image: 'image/jpeg' },
  webp: { image: 'image/webp' },
  gif: { image: 'image/gif' },
  mp4: { video: 'video/mp4', audio: 'audio/mp4' },
  webm: { video: 'video/webm', audio: 'audio/webm' },
  mov: { video: 'video/quicktime', audio: 'audio/mp4' },
  wav: { audio: 'audio/wav' },
  mp3: { audio: 'audio/mpeg' },
  ogg: { video: 'video/ogg', audio: 'audio/ogg' },
  flac: { audio: 'audio/flac' },
  aac: { audio: 'audio/aac' },
};

const labels: Readonly<Record<MediaFormat, string>> = {
  png: 'PNG',
  jpeg: 'JPEG',
  webp: 'WebP',
  gif: 'GIF',
  mp4: 'MP4',
  webm: 'WebM',
  mov: 'MOV',
  wav: 'WAV',
  mp3: 'MP3',
  ogg: 'Ogg',
  flac: 'FLAC',
  aac: 'AAC',
};

/** Identifies and checks a media file; throws MediaError when it is not valid media. */
export async function probeMedia(path: string): Promise<MediaInfo> {
  const reader = await FileReader.open(path);
  try {
    if (reader.size === 0) throw new MediaError('empty', 'file is empty');
    const format = imageSignature(reader.head) ?? formatOf(await detect(path, reader));
    const { size } = reader;
    if (imageFormats.has(format)) {
      const { width, height } = await inspectImage(reader, format as 'png' | 'jpeg' | 'webp' | 'gif');
      return { mime: mimeOf(format, 'image'), kind: 'image', format, width, height, size };
    }
    if (format === 'wav') {
      const durationMs = await wavDurationMs(reader);
      return { mime: mimeOf(format, 'audio'), kind: 'audio', format, durationMs, size };
    }
    if (format === 'mp4' || format === 'mov') await checkIsoBoxes(reader, labels[format]);
    if (format === 'webm') checkWebmSegment(reader);
    return await probeAudioVideo(path, format, size);
  } finally {
    await reader.close();
  }
}

/**
 * Checks bytes held in memory without touching the disk. Images and WAV are checked fully
 * here; for containers that need ffprobe (video, most audio) it answers undefined, and the
 * caller checks the file once written.
 */
export async function probeMediaBytes(bytes: Uint8Array): Promise<MediaInfo | undefined> {
  const reader = new BufferReader(bytes);
  if (reader.size === 0) throw new MediaError('empty', 'file is empty');
  const format = imageSignature(reader.head) ?? formatOf(await fileTypeFromBuffer(reader.head));
  const { size } = reader;
  if (imageFormats.has(format)) {
    const { width, height } = await inspectImage(reader, format as 'png' | 'jpeg' | 'webp' | 'gif');
    return { mime: mimeOf(format, 'image'), kind: 'image', format, width, height, size };
  }
  if (format === 'wav') return { mime: mimeOf(format, 'audio'), kind: 'audio', format, durationMs: await wavDurationMs(reader), size };
  return undefined;
}

/** probeMediaBytes, and the bytes must be of the expected kind; undefined when a file check is needed. */
export async function verifyMediaBytes(bytes: Uint8Array, expected: MediaKind): Promise<MediaInfo | undefined> {
  const info = await probeMediaBytes(bytes);
  if (info !== undefined && info.kind !== expected) {
    throw new MediaError('wrong_kind', `expected ${expected}, got ${info.mime}`);
  }
  return info;
}

/** probeMedia, and the file must be of the expected kind. */
export async function verifyMedia(path: string, expected: MediaKind): Promise<MediaInfo> {
  const info = await probeMedia(path);
  if (info.kind !== expected) {
    throw new MediaError('wrong_kind', `expected ${expected}, got ${info.mime}`);
  }
  return info;
}

async function detect(path: string, reader: ByteSource): Promise<FileTypeResult | undefined> {
  const fromHead = await fileTypeFromBuffer(reader.head);
  // Some formats need more than the head (MP3 behind a large ID3 tag): let file-type seek.
  if (fromHead === undefined && reader.size > reader.head.length) return fileTypeFromFile(path);
  return fromHead;
}

function formatOf(detected: FileTypeResult | undefined): MediaFormat {
  if (detected === undefined) throw new MediaError('unrecognized', 'not a recognized media file');
  const format = formatByExtension[detected.ext];
  if (format === undefined) {
    throw new MediaError('unsupported_format', `unsupported media format ${detected.mime} (${detected.ext})`);
  }
  return format;
}

async function probeAudioVideo(path: string, format: MediaFormat, size: number): Promise<MediaInfo> {
  const label = labels[format];
  const probe = await runFfprobe(path, label);
  const kind: MediaKind | undefined =
    probe.video !== undefined && !audioOnlyFormats.has(format) ? 'video' : probe.hasAudio ? 'audio' : undefined;
  if (kind === undefined) throw new MediaError('no_content', `${label} has no video or audio stream`);
  if (probe.durationMs === undefined || probe.durationMs <= 0) {
    throw new MediaError('no_content', `${label} has no duration (zero-length ${kind})`);
  }
  const info: MediaInfo = { mime: mimeOf(format, kind), kind, format, durationMs: probe.durationMs, size };
  if (kind === 'video' && probe.video !== undefined) {
    if (probe.video.width <= 0 || probe.video.height <= 0) {
      throw new MediaError('corrupt', `${label} video stream has no dimensions`);
    }
    info.width = probe.video.width;
    info.height = probe.video.height;
  }
  return info;
}

function mimeOf(format: MediaFormat, kind: MediaKind): string {
  const mime = mimeTypes[format][kind];
  if (mime === undefined) throw new MediaError('unsupported_format', `${labels[format]} cannot hold ${kind}`);
  return mime;
}
