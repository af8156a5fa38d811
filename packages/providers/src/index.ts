export * from './contract.ts';
export * from './validate.ts';
export * from './registry.ts';
export { createLocalProvider } from './local/provider.ts';
export * from './simulated/index.ts';
export * from './cloud.ts';
export { requireKey, keysEnvName } from './http/require-key.ts';
export * from './http/guard/guard.ts';
export { redactUrl } from './http/request.ts';
