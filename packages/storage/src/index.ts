export * from './media-tools.ts';
