// The daemon's event log: every state change is published here and streamed on /events.
// Keeps the most recent events in memory for `since` (as dockerd does), filters as Docker's.
import { EventEmitter } from 'node:events';

export type EventType = 'container' | 'image' | 'volume' | 'network' | 'daemon' | 'plugin' | 'builder' | 'config' | 'node' | 'secret' | 'service';

export interface BerthEvent {
  type: EventType;
  action: string;
  actor: { id: string; attributes: Record<string, string> };
  scope: 'local' | 'swarm';
  /** nanoseconds since the epoch */
  timeNano: bigint;
}

/** Docker's filters map: {"type":["container"],"label":["a=b"]}. */
export type Filters = Record<string, string[]>;

export interface EventQuery {
  since?: bigint; // ns
  until?: bigint; // ns
  filters?: Filters;
}

const KEEP = 1024;

// Wall-clock nanoseconds that never go backwards within the process: the epoch at start-up plus
// the monotonic clock since then.
const EPOCH_NS = BigInt(Date.now()) * 1_000_000n;
const HR_START = process.hrtime.bigint();

export function nowNano(): bigint {
  return EPOCH_NS + (process.hrtime.bigint() - HR_START);
}

function matchesOne(values: string[] | undefined, candidates: (string | undefined)[]): boolean {
  if (!values || values.length === 0) return true;
  return values.some((v) => candidates.some((c) => c !== undefined && c !== '' && (c === v || (v.length >= 3 && c.startsWith(v)))));
}

export function eventMatches(ev: BerthEvent, f: Filters | undefined): boolean {
  if (!f) return true;
  const a = ev.actor.attributes;
  if (!matchesOne(f['type'], [ev.type])) return false;
  if (f['event'] && !f['event'].some((e) => e === ev.action || ev.action.startsWith(`${e}:`))) return false;
  if (f['scope'] && !f['scope'].includes(ev.scope)) return false;
  const typed = (t: EventType, key: string, names: (string | undefined)[]): boolean =>
    !f[key] || (ev.type === t && matchesOne(f[key], names));
  if (!typed('container', 'container', [ev.actor.id, a['name']])) return false;
  if (f['image'] && !matchesOne(f['image'], [a['image'], ev.type === 'image' ? ev.actor.id : undefined, ev.type === 'image' ? a['name'] : undefined])) return false;
  if (!typed('volume', 'volume', [ev.actor.id, a['name']])) return false;
  if (!typed('network', 'network', [ev.actor.id, a['name']])) return false;
  if (!typed('daemon', 'daemon', [ev.actor.id, a['name']])) return false;
  if (f['label']) {
    for (const l of f['label']) {
      const eq = l.indexOf('=');
      if (eq < 0 ? !(l in a) : a[l.slice(0, eq)] !== l.slice(eq + 1)) return false;
    }
  }
  return true;
}

export class EventsService {
  readonly #recent: BerthEvent[] = [];
  readonly #bus = new EventEmitter();

  constructor() {
    this.#bus.setMaxListeners(0);
  }

  publish(type: EventType, action: string, id: string, attributes: Record<string, string> = {}): BerthEvent {
    const ev: BerthEvent = { type, action, actor: { id, attributes }, scope: 'local', timeNano: nowNano() };
    this.#recent.push(ev);
    if (this.#recent.length > KEEP) this.#recent.shift();
    this.#bus.emit('event', ev);
    return ev;
  }

  /** Past events matching the query (for `since`), then live ones until `until` or abort. */
  async *subscribe(query: EventQuery, signal: AbortSignal): AsyncGenerator<BerthEvent> {
    const queue: BerthEvent[] = [];
    let wake: (() => void) | undefined;
    const onEvent = (ev: BerthEvent): void => {
      queue.push(ev);
      wake?.();
    };
    const onAbort = (): void => wake?.();
    this.#bus.on('event', onEvent);
    signal.addEventListener('abort', onAbort);
    try {
      const until = query.until;
      if (query.since !== undefined) {
        for (const ev of this.#recent) {
          if (ev.timeNano < query.since || (until !== undefined && ev.timeNano > until) || queue.includes(ev)) continue;
          if (eventMatches(ev, query.filters)) yield ev;
        }
      }
      if (until !== undefined && nowNano() >= until) return;
      let timer: NodeJS.Timeout | undefined;
      try {
        while (!signal.aborted) {
          const ev = queue.shift();
          if (ev) {
            if (until !== undefined && ev.timeNano > until) return;
            if (eventMatches(ev, query.filters)) yield ev;
            continue;
          }
          const left = until === undefined ? undefined : until - nowNano();
          if (left !== undefined && left <= 0n) return;
          await new Promise<void>((r) => {
            wake = r;
            // a timer rounds to whole milliseconds and may fire a little early: the loop re-checks
            if (left !== undefined) timer = setTimeout(r, Number(left / 1_000_000n) + 1);
          });
          wake = undefined;
          if (timer) clearTimeout(timer);
        }
      } finally {
        if (timer) clearTimeout(timer);
      }
    } finally {
      this.#bus.off('event', onEvent);
      signal.removeEventListener('abort', onAbort);
    }
  }
}
