// GET /containers/json filtering, as Docker's: id, name, label, status, ancestor, exited,
// before, since, health (and the keys berth accepts but that match nothing special yet).
import { invalidArgument } from '../../errdefs/index.js';
import type { Filters } from '../events.js';
import type { ContainerRecord } from './types.js';
import { labelsMatch } from '../common/filters.js';

export const LIST_FILTERS = ['id', 'name', 'label', 'label!', 'status', 'ancestor', 'exited', 'before', 'since', 'health', 'network', 'volume', 'is-task', 'publish', 'expose', 'isolation'] as const;
const STATUSES = ['created', 'restarting', 'running', 'removing', 'paused', 'exited', 'dead'];
const HEALTH = ['starting', 'healthy', 'unhealthy', 'none'];

export interface FilterDeps {
  find(idOrName: string): ContainerRecord | undefined;
  /** image ID for a reference, undefined when unknown */
  imageId(ref: string): string | undefined;
}

const running = (r: ContainerRecord): boolean => ['running', 'paused', 'restarting'].includes(r.state.status);

export function filterContainers(all: ContainerRecord[], o: { all?: boolean; limit?: number; filters?: Filters }, deps: FilterDeps): ContainerRecord[] {
  const f = o.filters ?? {};
  for (const k of Object.keys(f)) if (!(LIST_FILTERS as readonly string[]).includes(k)) throw invalidArgument(`invalid filter '${k}'`);
  for (const s of f['status'] ?? []) if (!STATUSES.includes(s)) throw invalidArgument(`invalid filter 'status=${s}'`);
  for (const h of f['health'] ?? []) if (!HEALTH.includes(h)) throw invalidArgument(`invalid filter 'health=${h}'`);
  const exited = (f['exited'] ?? []).map((v) => {
    if (!/^-?\d+$/.test(v)) throw invalidArgument(`invalid filter 'exited=${v}'`);
    return Number(v);
  });
  const createdOf = (ref: string, key: string): number => {
    const r = deps.find(ref);
    if (!r) throw invalidArgument(`No such container: ${ref}`);
    void key;
    return Date.parse(r.created);
  };
  const before = f['before']?.[0] !== undefined ? createdOf(f['before'][0], 'before') : undefined;
  const since = f['since']?.[0] !== undefined ? createdOf(f['since'][0], 'since') : undefined;
  const ancestors = (f['ancestor'] ?? []).map((a) => ({ ref: a, id: deps.imageId(a) }));
  let list = [...all].sort((a, b) => Date.parse(b.created) - Date.parse(a.created) || (b.id < a.id ? -1 : 1));
  const useAll = o.all === true || (o.limit !== undefined && o.limit > 0) || f['status'] !== undefined || exited.length > 0 || before !== undefined || since !== undefined;
  list = list.filter((r) => {
    if (!useAll && !running(r)) return false;
    if (f['id'] && !f['id'].some((v) => r.id.startsWith(v))) return false;
    if (f['name'] && !f['name'].some((v) => safeRegex(v).test(r.name) || r.name === `/${v}`)) return false;
    if (!labelsMatch(r.config.Labels ?? {}, f['label'] ?? [], f['label!'] ?? [])) return false;
    if (f['status'] && !f['status'].includes(r.state.status)) return false;
    if (exited.length > 0 && (r.state.status !== 'exited' || !exited.includes(r.state.exitCode))) return false;
    if (before !== undefined && Date.parse(r.created) >= before) return false;
    if (since !== undefined && Date.parse(r.created) <= since) return false;
    if (f['health'] && !f['health'].includes(r.state.health?.Status ?? 'none')) return false;
    if (ancestors.length > 0 && !ancestors.some((a) => (a.id !== undefined && a.id === r.imageId) || r.config.Image === a.ref || r.imageId.replace(/^sha256:/, '').startsWith(a.ref.replace(/^sha256:/, '')))) return false;
    if (f['volume'] && !f['volume'].some((v) => (r.hostConfig.Binds ?? []).some((b) => b.split(':')[0] === v || b.split(':')[1] === v))) return false;
    if (f['network'] && !f['network'].some((n) => (r.hostConfig.NetworkMode === 'default' ? 'bridge' : r.hostConfig.NetworkMode) === n)) return false;
    return true;
  });
  if (o.limit !== undefined && o.limit > 0) list = list.slice(0, o.limit);
  return list;
}

function safeRegex(v: string): RegExp {
  try {
    return new RegExp(v);
  } catch {
    return new RegExp(v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  }
}
