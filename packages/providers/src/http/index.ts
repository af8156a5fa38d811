// The shared HTTP helper every HTTP-speaking provider adapter uses: requests with timeouts and
// size caps, and the single classification of provider failures into ProviderErrors.
export * from './retry-after.ts';
export * from './classify.ts';
export * from './request.ts';
export * from './guard/guard.ts';
export * from './require-key.ts';
