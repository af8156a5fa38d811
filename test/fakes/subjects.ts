// Every cloud provider's conformance subject, run by conformance.test.ts through the same
// scenarios. Adding a provider: one import and one entry here.
import type { ConformanceSubject } from './subject.ts';
import { subject as replicate } from './replicate/subject.ts';
import { subject as fal } from './fal/subject.ts';
import { subject as luma } from './luma/subject.ts';
import { subject as openai } from './openai/subject.ts';
import { subject as elevenlabs } from './elevenlabs/subject.ts';
import { subject as runway } from './runway/subject.ts';
import { subject as bfl } from './bfl/subject.ts';
import { subject as stability } from './stability/subject.ts';
import { subject as google } from './google/subject.ts';

export const subjects: ConformanceSubject[] = [
  replicate,
  fal,
  luma,
  openai,
  elevenlabs,
  runway,
  bfl,
  stability,
  google,
];
