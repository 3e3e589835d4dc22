// Validate Engine API responses against Docker's swagger (the v1.50 spec in ../shared/specs).
// The swagger 2.0 schemas are turned into JSON Schema for ajv: `x-nullable: true` allows null,
// examples and vendor keys are dropped, formats are not checked (Go's "dateTime", "int64").
// Extra properties are allowed, as Docker's clients ignore them; missing required ones and
// wrong types are reported with the JSON path.
//
//   const spec = loadSwagger();                        // undefined when the specs folder is absent
//   if (!need(t, spec !== undefined, SWAGGER_MISSING)) return;
//   spec.assertResponse('GET', '/images/json', 200, r.json());
//   spec.assertDefinition('ImageInspect', body);
import fs from 'node:fs';
import path from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import { parse } from 'yaml';
import { REPO } from './harness.js';

export const SWAGGER_PATH = process.env['BERTH_SWAGGER'] ?? path.resolve(REPO, 'test/specs/docker-engine-api-v1.50.yaml');
export const SWAGGER_MISSING = `the Engine API swagger (${SWAGGER_PATH})`;

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Obj = { [k: string]: Json };

const isObj = (v: Json | undefined): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Swagger 2.0 schema -> JSON Schema (draft-07 as ajv reads it). */
export function toJsonSchema(s: Json, refBase: string): Json {
  if (Array.isArray(s)) return s.map((x) => toJsonSchema(x, refBase));
  if (!isObj(s)) return s;
  const out: Obj = {};
  for (const [k, v] of Object.entries(s)) {
    if (k.startsWith('x-') || k === 'example' || k === 'description' || k === 'title' || k === 'format' || k === 'default') continue;
    if (k === '$ref' && typeof v === 'string') {
      out[k] = v.startsWith('#/definitions/') ? `${refBase}${v}` : v;
    } else if (k === 'properties' && isObj(v)) {
      const props: Obj = {};
      for (const [name, ps] of Object.entries(v)) props[name] = toJsonSchema(ps, refBase);
      out[k] = props;
    } else if (k === 'enum' && Array.isArray(v)) {
      out[k] = s['x-nullable'] === true ? [...v, null] : v;
    } else {
      out[k] = toJsonSchema(v, refBase);
    }
  }
  if (s['x-nullable'] === true) {
    if (typeof out['type'] === 'string') out['type'] = [out['type'], 'null'];
    else if (out['$ref'] !== undefined) return { anyOf: [{ $ref: out['$ref'] }, { type: 'null' }] };
  }
  return out;
}

export class Swagger {
  readonly doc: Obj;
  readonly #ajv: Ajv;
  readonly #cache = new Map<string, ValidateFunction>();

  constructor(file: string) {
    this.doc = parse(fs.readFileSync(file, 'utf8')) as Obj;
    this.#ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
    const defs = this.doc['definitions'];
    if (!isObj(defs)) throw new Error(`${file}: no definitions`);
    const converted: Obj = {};
    for (const [name, schema] of Object.entries(defs)) converted[name] = toJsonSchema(schema, 'swagger');
    this.#ajv.addSchema({ $id: 'swagger', definitions: converted } as object);
  }

  #compile(key: string, schema: Json): ValidateFunction {
    let v = this.#cache.get(key);
    if (!v) {
      v = this.#ajv.compile(toJsonSchema(schema, 'swagger') as object);
      this.#cache.set(key, v);
    }
    return v;
  }

  /** The response schema of an operation, e.g. ('GET', '/images/{name}/json', 200). */
  responseSchema(method: string, template: string, status: number): Json | undefined {
    const paths = this.doc['paths'];
    const op = isObj(paths) && isObj(paths[template]) ? (paths[template] as Obj)[method.toLowerCase()] : undefined;
    if (!isObj(op)) throw new Error(`swagger has no operation ${method} ${template}`);
    const responses = op['responses'];
    const res = isObj(responses) ? (responses[String(status)] ?? responses['default']) : undefined;
    if (!isObj(res)) throw new Error(`swagger: ${method} ${template} documents no ${status} response`);
    return res['schema'];
  }

  /** Errors (empty when valid) of a response body against the operation's schema. */
  checkResponse(method: string, template: string, status: number, body: unknown): string[] {
    const schema = this.responseSchema(method, template, status);
    if (schema === undefined) return [];
    return this.#run(this.#compile(`${method} ${template} ${status}`, schema), body);
  }

  checkDefinition(name: string, value: unknown): string[] {
    return this.#run(this.#compile(`#${name}`, { $ref: `#/definitions/${name}` }), value);
  }

  assertResponse(method: string, template: string, status: number, body: unknown): void {
    const errors = this.checkResponse(method, template, status, body);
    if (errors.length > 0) throw new Error(`${method} ${template} ${status}: response does not match the swagger:\n  ${errors.join('\n  ')}\nbody: ${JSON.stringify(body).slice(0, 2000)}`);
  }

  assertDefinition(name: string, value: unknown): void {
    const errors = this.checkDefinition(name, value);
    if (errors.length > 0) throw new Error(`value does not match swagger definition ${name}:\n  ${errors.join('\n  ')}\nvalue: ${JSON.stringify(value).slice(0, 2000)}`);
  }

  #run(v: ValidateFunction, value: unknown): string[] {
    if (v(value)) return [];
    return (v.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''}${e.params && Object.keys(e.params).length > 0 ? ` ${JSON.stringify(e.params)}` : ''}`);
  }
}

let cached: Swagger | undefined;
/** The swagger, or undefined when the specs folder is absent (callers skip with SWAGGER_MISSING). */
export function loadSwagger(): Swagger | undefined {
  if (cached) return cached;
  if (!fs.existsSync(SWAGGER_PATH)) return undefined;
  cached = new Swagger(SWAGGER_PATH);
  return cached;
}
