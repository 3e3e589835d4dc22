// Public surface of src/oci: digests, references, media types and OCI/Docker wire types.
export * from './digest.js';
export * from './reference.js';
export * from './media-types.js';
export * from './types.js';
