// Public surface of the distribution service (pull, push, login, search).
export { DistributionService, serverDomain, type DistributionOptions, type PullRequest, type PushRequest, type SearchRequest } from './service.js';
export type { ProgressEvent } from './progress.js';
