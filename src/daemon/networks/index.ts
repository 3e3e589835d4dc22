// Public surface of the network service (see types.ts for the container-lifecycle interface).
export type { AttachContainer, ContainerLookup, EndpointState, NetworkAttacher, NetworkDriver, NetworkingConfig, NetworkRecord, PreparedNetwork, SandboxState } from './types.js';
export { NetworkService, networkSettingsFrom, type NetworkServiceOptions, type NetworkSettingsConfig } from './service.js';
