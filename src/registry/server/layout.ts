// Where everything lives under the registry root (content-addressed blobs, per-repository links):
//
//   blobs/sha256/<hex>                                  blob and manifest bytes, visible only once verified
//   uploads/<uuid>/data, uploads/<uuid>/info.json       in-progress uploads (never visible as blobs)
//   repositories/<name>/_layers/sha256/<hex>            blob membership of the repository (empty file)
//   repositories/<name>/_manifests/revisions/sha256/<hex>   manifest membership: {"mediaType","size",...}
//   repositories/<name>/_manifests/tags/<tag>           "sha256:<hex>"
//   repositories/<name>/_referrers/sha256/<subject-hex>/<hex>   referrer descriptor (JSON)
//   tmp/                                                scratch, emptied at start-up
import path from 'node:path';
import { digestHex, type Digest } from '../../oci/index.js';

export class RegistryLayout {
  readonly root: string;

  constructor(root: string) {
    this.root = path.resolve(root);
  }

  get blobsDir(): string {
    return path.join(this.root, 'blobs', 'sha256');
  }
  get uploadsDir(): string {
    return path.join(this.root, 'uploads');
  }
  get reposDir(): string {
    return path.join(this.root, 'repositories');
  }
  get tmpDir(): string {
    return path.join(this.root, 'tmp');
  }
  blob(d: Digest): string {
    return path.join(this.blobsDir, digestHex(d));
  }
  upload(uuid: string): string {
    return path.join(this.uploadsDir, uuid);
  }
  repo(name: string): string {
    return path.join(this.reposDir, ...name.split('/'));
  }
  layersDir(name: string): string {
    return path.join(this.repo(name), '_layers', 'sha256');
  }
  layerLink(name: string, d: Digest): string {
    return path.join(this.layersDir(name), digestHex(d));
  }
  revisionsDir(name: string): string {
    return path.join(this.repo(name), '_manifests', 'revisions', 'sha256');
  }
  revision(name: string, d: Digest): string {
    return path.join(this.revisionsDir(name), digestHex(d));
  }
  tagsDir(name: string): string {
    return path.join(this.repo(name), '_manifests', 'tags');
  }
  tag(name: string, tag: string): string {
    return path.join(this.tagsDir(name), tag);
  }
  referrersDir(name: string, subject: Digest): string {
    return path.join(this.repo(name), '_referrers', 'sha256', digestHex(subject));
  }
  referrer(name: string, subject: Digest, d: Digest): string {
    return path.join(this.referrersDir(name, subject), digestHex(d));
  }
}

/** What a revision link records about a manifest. */
export interface RevisionRecord {
  mediaType: string;
  size: number;
  /** The subject digest when the manifest has one (to drop its referrer link on delete). */
  subject?: string;
}

/** A referrer as the referrers API lists it (an OCI descriptor). */
export interface ReferrerDescriptor {
  mediaType: string;
  digest: string;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
}
