export * from './kinds.ts';
export * from './errors.ts';
export * from './ids.ts';
export * from './request.ts';
export * from './zod-errors.ts';
export * from './random.ts';
