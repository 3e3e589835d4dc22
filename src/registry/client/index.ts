// Public surface of the distribution client.
export { RegistryClient, Repository, MANIFEST_ACCEPT, urlErrorPrefix, type FetchedManifest, type SearchResult } from './client.js';
export { RegistryHosts, DOCKER_HUB_INDEX, DOCKER_HUB_REGISTRY, DEFAULT_CERTS_DIRS, type Endpoint, type RegistryHostsOptions } from './hosts.js';
export { decodeAuthHeader, credentials, type AuthConfig } from './auth.js';
export { RegistryError, errorFromResponse } from './errors.js';
export { parseChallenges, type Challenge } from './challenge.js';
export { selectPlatform, parsePlatformSpec, formatPlatform, normalizePlatform, type PlatformSpec } from './platform.js';
