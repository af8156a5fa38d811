// The JSON shapes the API returns for jobs and assets. They live in the engine, so the CLI's
// --json and the webhooks the workers send say the same thing as the HTTP API.
export { assetView, attemptView, jobView, type AssetView, type JobView } from '@mediagate/engine';
