// Public surface of berth's registry server (OCI distribution-spec v1.1 over the filesystem).
export { startRegistryServer, parseAddr, DEFAULT_ADDR, DEFAULT_REALM, DEFAULT_ROOT, type RegistryServer, type RegistryServerOptions } from './server.js';
export { collectGarbage, type GcOptions, type GcResult } from './gc.js';
export { FsRegistryStorage, type BlobInfo, type ManifestInfo, type UploadStatus } from './storage.js';
export { RegistryError, ERROR_CODES, type RegistryErrorCode } from './errors.js';
export { isValidRepositoryName, isValidTag } from './names.js';
export { parseHtpasswd, BasicAuth } from './auth.js';
