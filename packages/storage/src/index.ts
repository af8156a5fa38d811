export * from './media-tools.ts';
export * from './asset-store.ts';
export * from './local-store.ts';
export * from './media-info.ts';
export * from './probe.ts';
