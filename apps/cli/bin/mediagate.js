#!/usr/bin/env node
// Entry point of the `mediagate` command: loads the TypeScript sources through tsx so the
// repository runs right after `npm ci`, with no build step.
import { register } from 'tsx/esm/api';

register();
await import('../src/main.ts');
