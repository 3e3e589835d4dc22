// Media types of the OCI image-spec and of Docker's image manifest v2 schema 2.

export const MediaTypes = {
  // OCI
  ociDescriptor: 'application/vnd.oci.descriptor.v1+json',
  ociLayout: 'application/vnd.oci.layout.header.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociLayerZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  ociLayerNonDistributable: 'application/vnd.oci.image.layer.nondistributable.v1.tar',
  ociLayerNonDistributableGzip: 'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip',
  ociLayerNonDistributableZstd: 'application/vnd.oci.image.layer.nondistributable.v1.tar+zstd',
  ociEmpty: 'application/vnd.oci.empty.v1+json',
  // Docker schema 2
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayer: 'application/vnd.docker.image.rootfs.diff.tar',
  dockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  dockerLayerForeign: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
  dockerPluginConfig: 'application/vnd.docker.plugin.v1+json',
  // Docker schema 1 (deprecated; recognised only to refuse it)
  dockerManifestV1: 'application/vnd.docker.distribution.manifest.v1+json',
  dockerManifestV1Signed: 'application/vnd.docker.distribution.manifest.v1+prettyjws',
  // In-toto attestations (buildx): index entries with this annotation are not runnable images.
  inToto: 'application/vnd.in-toto+json',
} as const;

export type MediaType = (typeof MediaTypes)[keyof typeof MediaTypes];

export function isIndexMediaType(mt: string | undefined): boolean {
  return mt === MediaTypes.ociIndex || mt === MediaTypes.dockerManifestList;
}

export function isManifestMediaType(mt: string | undefined): boolean {
  return mt === MediaTypes.ociManifest || mt === MediaTypes.dockerManifest;
}

export function isConfigMediaType(mt: string | undefined): boolean {
  return mt === MediaTypes.ociConfig || mt === MediaTypes.dockerConfig;
}

export type LayerCompression = 'none' | 'gzip' | 'zstd';

/** Compression of a layer media type, or undefined when `mt` is not a layer type. */
export function layerCompression(mt: string | undefined): LayerCompression | undefined {
  switch (mt) {
    case MediaTypes.ociLayer:
    case MediaTypes.ociLayerNonDistributable:
    case MediaTypes.dockerLayer:
      return 'none';
    case MediaTypes.ociLayerGzip:
    case MediaTypes.ociLayerNonDistributableGzip:
    case MediaTypes.dockerLayerGzip:
    case MediaTypes.dockerLayerForeign:
      return 'gzip';
    case MediaTypes.ociLayerZstd:
    case MediaTypes.ociLayerNonDistributableZstd:
      return 'zstd';
    default:
      return undefined;
  }
}

export function isLayerMediaType(mt: string | undefined): boolean {
  return layerCompression(mt) !== undefined;
}
