// POST /containers/{id}/update (docker update): Docker's checks, the merge of the new limits
// into the stored HostConfig (moby container.UpdateContainer), the runtime update of a running
// container (on cgroup v1 memsw is raised before memory, so memsw >= memory at every step),
// then the new HostConfig is persisted. A stopped container only gets the record changed.
import fs from 'node:fs';
import path from 'node:path';
import { BerthError, conflict, systemError } from '../../errdefs/index.js';
import { OciRuntime } from '../../runtime/oci.js';
import { mergeUpdate, updateResources, verifyResources, type ResourcesConfig, type UpdateConfig } from '../../runtime/security/resources.js';
import type { ContainerRecord, RuntimeHandle } from './types.js';

/** What update needs from the container service. */
export interface UpdatableContainers {
  get(idOrName: string): ContainerRecord;
  applyUpdate<T>(idOrName: string, fn: (rec: ContainerRecord, running: boolean) => Promise<T>): Promise<T>;
}

export interface UpdateResponse {
  Warnings: string[] | null;
}

async function runtimeUpdate(rt: RuntimeHandle, id: string, resources: Record<string, unknown>, dir: string): Promise<void> {
  const file = path.join(dir, `update-${process.pid}-${Date.now()}.json`);
  fs.writeFileSync(file, JSON.stringify(resources));
  try {
    const r = await new OciRuntime(rt).update(id, file);
    if (r.code !== 0) {
      const msg = r.stderr.trim().split('\n').filter(Boolean).at(-1) ?? `exit status ${r.code}`;
      throw systemError(msg.replace(/^time="[^"]*" level=\w+ msg="(.*)"$/, '$1'));
    }
  } finally {
    fs.rmSync(file, { force: true });
  }
}

/** Apply new resources to a running container in an order cgroup v1 accepts. */
export async function applyRuntimeUpdate(rec: ContainerRecord, before: ResourcesConfig, after: ResourcesConfig): Promise<void> {
  const all = updateResources(after);
  const oldSwap = before.MemorySwap ?? 0;
  const newSwap = after.MemorySwap ?? 0;
  const mem = all['memory'] as Record<string, number> | undefined;
  // raise memsw first when the new memory limit would be above the current memsw limit
  if (mem && newSwap !== 0 && (newSwap === -1 || (oldSwap > 0 && newSwap > oldSwap))) {
    await runtimeUpdate(rec.runtime, rec.id, { memory: { swap: newSwap } }, rec.paths.bundle);
  }
  await runtimeUpdate(rec.runtime, rec.id, all, rec.paths.bundle);
}

export async function updateContainer(containers: UpdatableContainers, idOrName: string, body: UpdateConfig): Promise<UpdateResponse> {
  const rec = containers.get(idOrName);
  const req: UpdateConfig = structuredClone(body ?? {});
  const warnings = verifyResources(req, { update: true });
  await containers.applyUpdate(rec.id, async (r, running) => {
    if (r.state.status === 'removing' || r.state.status === 'dead') {
      throw conflict(`Cannot update container ${r.id}: container is marked for removal and cannot be "update"`);
    }
    let merged: ResourcesConfig;
    try {
      merged = mergeUpdate(r.hostConfig, req);
    } catch (err) {
      if (err instanceof BerthError) throw new BerthError(err.kind, `Cannot update container ${r.id}: ${err.message}`, { cause: err });
      throw err;
    }
    if (running) {
      try {
        await applyRuntimeUpdate(r, r.hostConfig, merged);
      } catch (err) {
        throw systemError(`Cannot update container ${r.id}: ${(err as Error).message}`, { cause: err });
      }
    }
    r.hostConfig = merged;
  });
  return { Warnings: warnings.length > 0 ? warnings : null };
}
