// Linux capabilities as Docker computes them (moby oci/caps): the default 14, --cap-add and
// --cap-drop (with or without the CAP_ prefix, any case, ALL), --privileged = every capability
// available to the daemon (its own bounding set: this sandbox lacks CAP_SYS_RESOURCE).
import fs from 'node:fs';
import { invalidArgument } from '../../errdefs/index.js';

/** Every capability by its number (linux/capability.h), CAP_CHOWN = 0. */
export const CAPS_BY_NUMBER = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_SETGID', 'CAP_SETUID',
  'CAP_SETPCAP', 'CAP_LINUX_IMMUTABLE', 'CAP_NET_BIND_SERVICE', 'CAP_NET_BROADCAST', 'CAP_NET_ADMIN', 'CAP_NET_RAW',
  'CAP_IPC_LOCK', 'CAP_IPC_OWNER', 'CAP_SYS_MODULE', 'CAP_SYS_RAWIO', 'CAP_SYS_CHROOT', 'CAP_SYS_PTRACE', 'CAP_SYS_PACCT',
  'CAP_SYS_ADMIN', 'CAP_SYS_BOOT', 'CAP_SYS_NICE', 'CAP_SYS_RESOURCE', 'CAP_SYS_TIME', 'CAP_SYS_TTY_CONFIG', 'CAP_MKNOD',
  'CAP_LEASE', 'CAP_AUDIT_WRITE', 'CAP_AUDIT_CONTROL', 'CAP_SETFCAP', 'CAP_MAC_OVERRIDE', 'CAP_MAC_ADMIN', 'CAP_SYSLOG',
  'CAP_WAKE_ALARM', 'CAP_BLOCK_SUSPEND', 'CAP_AUDIT_READ', 'CAP_PERFMON', 'CAP_BPF', 'CAP_CHECKPOINT_RESTORE',
] as const;

/** Docker's default set (CapEff 00000000a80425fb). */
export const DOCKER_DEFAULT_CAPS: readonly string[] = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW', 'CAP_SETGID',
  'CAP_SETUID', 'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE',
];

let available: Set<string> | undefined;

/** Capabilities in the daemon's bounding set (what a container can be given at all). */
export function availableCaps(statusText?: string): Set<string> {
  if (available && statusText === undefined) return available;
  let bnd = (1n << BigInt(CAPS_BY_NUMBER.length)) - 1n;
  try {
    const text = statusText ?? fs.readFileSync('/proc/self/status', 'utf8');
    const m = /^CapBnd:\s*([0-9a-f]+)$/m.exec(text);
    if (m) bnd = BigInt(`0x${m[1]}`);
  } catch {
    /* no procfs: assume all */
  }
  const out = new Set<string>();
  CAPS_BY_NUMBER.forEach((c, i) => {
    if ((bnd >> BigInt(i)) & 1n) out.add(c);
  });
  if (statusText === undefined) available = out;
  return out;
}

/** moby's NormalizeLegacyCapabilities: upper case, CAP_ prefix, known and available. */
export function normalizeCaps(caps: readonly string[], avail: Set<string> = availableCaps()): string[] {
  const out: string[] = [];
  for (const raw of caps) {
    let c = raw.trim().toUpperCase();
    if (c === 'ALL') {
      out.push(c);
      continue;
    }
    if (!c.startsWith('CAP_')) c = `CAP_${c}`;
    if (!(CAPS_BY_NUMBER as readonly string[]).includes(c)) throw invalidArgument(`unknown capability: "${c}"`);
    if (!avail.has(c)) throw invalidArgument(`capability not supported by your kernel or not available in the current environment: "${c}"`);
    out.push(c);
  }
  return out;
}

/** moby's TweakCapabilities; privileged gets every available capability. */
export function effectiveCaps(o: { privileged?: boolean | undefined; capAdd?: readonly string[] | null | undefined; capDrop?: readonly string[] | null | undefined }, avail: Set<string> = availableCaps()): string[] {
  const add = normalizeCaps(o.capAdd ?? [], avail);
  const drop = normalizeCaps(o.capDrop ?? [], avail);
  const all = CAPS_BY_NUMBER.filter((c) => avail.has(c));
  if (o.privileged) return [...all];
  let caps: string[];
  if (add.includes('ALL')) caps = all.filter((c) => !drop.includes(c));
  else if (drop.includes('ALL')) caps = [...add];
  else caps = [...DOCKER_DEFAULT_CAPS.filter((c) => !drop.includes(c)), ...add];
  return [...new Set(caps.filter((c) => c !== 'ALL'))];
}

/** The capability mask as /proc/<pid>/status prints it (CapEff: 00000000a80425fb). */
export function capMask(caps: readonly string[]): string {
  let m = 0n;
  for (const c of caps) {
    const i = (CAPS_BY_NUMBER as readonly string[]).indexOf(c);
    if (i >= 0) m |= 1n << BigInt(i);
  }
  return m.toString(16).padStart(16, '0');
}
