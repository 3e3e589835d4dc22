// Validators for the JSON schemas in this folder (OCI runtime config.json; OCI image manifest,
// index, config and layout). Shared by unit and integration tests.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';

/** test/specs in the repository (this file runs from dist/test/specs). */
export const SPECS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../test/specs');

export type Validate = ((doc: unknown) => boolean) & { errors?: unknown };

function load(file: string): Record<string, unknown> {
  const s = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
  // draft-04 keywords Ajv 8 does not take ($schema, "id" at any depth); the files are referred to
  // by their names instead
  delete s['$schema'];
  const strip = (o: unknown): void => {
    if (o === null || typeof o !== 'object') return;
    const rec = o as Record<string, unknown>;
    if (typeof rec['id'] === 'string') delete rec['id'];
    for (const v of Object.values(rec)) strip(v);
  };
  strip(s);
  return s;
}

/** The OCI runtime spec's config.json schema (Linux). */
export function ociRuntimeConfigValidator(): Validate {
  const dir = path.join(SPECS_DIR, 'oci-runtime');
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
  for (const f of ['defs.json', 'defs-linux.json', 'config-linux.json']) ajv.addSchema(load(path.join(dir, f)), f);
  // other platforms' sections are not shipped here: accept anything under them
  for (const f of ['config-solaris.json', 'config-windows.json', 'config-vm.json', 'config-zos.json', 'config-freebsd.json']) {
    ajv.addSchema({ [f.replace(/^config-|\.json$/g, '')]: {} }, f);
  }
  return ajv.compile(load(path.join(dir, 'config-schema.json'))) as Validate;
}

const IMAGE_SCHEMAS = { manifest: 'image-manifest-schema.json', index: 'image-index-schema.json', config: 'config-schema.json', layout: 'image-layout-schema.json' } as const;

/** An OCI image spec schema: manifest, index, image config or oci-layout. */
export function ociImageValidator(kind: keyof typeof IMAGE_SCHEMAS): Validate {
  const dir = path.join(SPECS_DIR, 'oci-image');
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
  for (const f of ['defs.json', 'defs-descriptor.json', 'content-descriptor.json']) ajv.addSchema(load(path.join(dir, f)), f);
  return ajv.compile(load(path.join(dir, IMAGE_SCHEMAS[kind]))) as Validate;
}
