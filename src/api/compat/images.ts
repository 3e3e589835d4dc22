// Image service domain objects -> Engine API JSON (swagger ImageSummary, ImageInspect, ...).
import path from 'node:path';
import type { DeleteItem, HistoryItem, ImageDetails, ImageListItem } from '../../daemon/images/service.js';
import type { HistoryResponseItem, ImageConfig, ImageDeleteResponseItem, ImageInspect, ImageSummary } from '../../engine-api/image.js';

const ZERO_TIME = '0001-01-01T00:00:00Z';

export function imageSummaryToWire(i: ImageListItem): ImageSummary {
  return {
    Containers: i.containers,
    Created: i.created,
    Id: i.id,
    Labels: i.labels,
    ParentId: i.parentId,
    RepoDigests: i.repoDigests,
    RepoTags: i.repoTags,
    SharedSize: i.sharedSize,
    Size: i.size,
  };
}

/** overlay2's GraphDriver data for an image: its top layer is the "upper" dir, the rest lower. */
function graphDriverData(layerDirs: readonly string[]): Record<string, string> {
  const [top, ...lower] = layerDirs;
  if (top === undefined) return {};
  const base = path.dirname(top);
  const data: Record<string, string> = {};
  if (lower.length > 0) data['LowerDir'] = lower.join(':');
  data['MergedDir'] = path.join(base, 'merged');
  data['UpperDir'] = top;
  data['WorkDir'] = path.join(base, 'work');
  return data;
}

export function imageInspectToWire(d: ImageDetails): ImageInspect {
  const out: ImageInspect = {
    Id: d.id,
    RepoTags: d.repoTags,
    RepoDigests: d.repoDigests,
    Parent: d.parent,
    Comment: d.comment,
    Created: d.created,
    DockerVersion: d.dockerVersion,
    Author: d.author,
    Config: d.config as ImageConfig,
    Architecture: d.architecture,
    Os: d.os,
    Size: d.size,
    GraphDriver: { Name: 'overlay2', Data: graphDriverData(d.layerDirs) },
    RootFS: { Type: 'layers', Layers: d.diffIds },
    Metadata: { LastTagTime: d.lastTagTime ? d.lastTagTime.toISOString() : ZERO_TIME },
  };
  if (d.variant) out.Variant = d.variant;
  if (d.osVersion) out.OsVersion = d.osVersion;
  return out;
}

export function historyToWire(h: HistoryItem): HistoryResponseItem {
  return { Id: h.id, Created: h.created, CreatedBy: h.createdBy, Tags: h.tags, Size: h.size, Comment: h.comment };
}

export function deleteItemToWire(d: DeleteItem): ImageDeleteResponseItem {
  return 'untagged' in d ? { Untagged: d.untagged } : { Deleted: d.deleted };
}
