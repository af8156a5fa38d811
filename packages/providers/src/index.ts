export * from './contract.ts';
export * from './validate.ts';
export * from './registry.ts';
export { createLocalProvider } from './local/provider.ts';
export * from './simulated/index.ts';
export * from './http/guard/guard.ts';
export { redactUrl } from './http/request.ts';
