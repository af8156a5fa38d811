// The simulated provider for tests and benchmarks: an HTTP server that plays a paid provider
// (limits, latency, faults, counters) and the adapter that talks to it.
export { startSimulatedServer, type SimulatedServer, type SimulatedServerOptions, type SimulatedStats } from './server.ts';
export { createSimulatedProvider, type SimulatedProviderOptions } from './provider.ts';
export { simulatedModels } from './models.ts';
export { faultNames, type FaultName } from './responses.ts';
export type { KeyLimits, KeyStats } from './limits.ts';
