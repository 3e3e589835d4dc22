// Engine API wire shapes the client reads and writes (names and casing as in the swagger).
// Only the fields the CLI uses are typed; everything else passes through untouched.
export type { SystemInfo, SystemVersion, EventMessage } from '../engine-api/system.js';

export type Json = Record<string, unknown>;

export interface ImageSummary {
  Id: string;
  ParentId: string;
  RepoTags: string[] | null;
  RepoDigests: string[] | null;
  Created: number;
  Size: number;
  SharedSize: number;
  VirtualSize?: number;
  Labels: Record<string, string> | null;
  Containers: number;
}

export interface ImageHistoryItem {
  Id: string;
  Created: number;
  CreatedBy: string;
  Tags: string[] | null;
  Size: number;
  Comment: string;
}

export interface ImageDeleteItem {
  Untagged?: string;
  Deleted?: string;
}

export interface PruneReport {
  ImagesDeleted?: ImageDeleteItem[] | null;
  ContainersDeleted?: string[] | null;
  SpaceReclaimed: number;
}

export interface Port {
  IP?: string;
  PrivatePort: number;
  PublicPort?: number;
  Type: string;
}

export interface ContainerSummary {
  Id: string;
  Names: string[];
  Image: string;
  ImageID: string;
  Command: string;
  Created: number;
  Ports: Port[];
  SizeRw?: number;
  SizeRootFs?: number;
  Labels: Record<string, string> | null;
  State: string;
  Status: string;
  HostConfig?: { NetworkMode?: string };
  NetworkSettings?: { Networks?: Record<string, Json> };
  Mounts?: { Name?: string; Source?: string; Destination?: string }[];
}

export interface PortBinding {
  HostIp?: string;
  HostPort?: string;
}

export interface ContainerInspect {
  Id: string;
  Name: string;
  Created: string;
  Path: string;
  Args: string[];
  State: { Status: string; Running: boolean; Paused: boolean; ExitCode: number; StartedAt?: string; FinishedAt?: string; Pid?: number; Error?: string };
  Image: string;
  Config: { Tty?: boolean; OpenStdin?: boolean; Image?: string; [k: string]: unknown };
  HostConfig: { AutoRemove?: boolean; [k: string]: unknown };
  NetworkSettings?: { Ports?: Record<string, PortBinding[] | null> | null; [k: string]: unknown };
  [k: string]: unknown;
}

export interface ContainerCreateResponse {
  Id: string;
  Warnings: string[] | null;
}

export interface WaitResponse {
  StatusCode: number;
  Error?: { Message?: string } | null;
}

export interface TopResponse {
  Titles: string[];
  Processes: string[][];
}

export interface ExecInspect {
  ID: string;
  Running: boolean;
  ExitCode: number | null;
  Pid?: number;
  ProcessConfig?: { tty?: boolean };
  [k: string]: unknown;
}

export interface DiskUsage {
  LayersSize?: number;
  Images?: (ImageSummary & { Containers: number })[] | null;
  Containers?: (ContainerSummary & { SizeRw?: number; SizeRootFs?: number })[] | null;
  Volumes?: { Name: string; Driver: string; Mountpoint: string; Labels?: Record<string, string> | null; Scope?: string; UsageData?: { Size: number; RefCount: number } | null; CreatedAt?: string }[] | null;
  BuildCache?: { ID: string; Type: string; Size: number; CreatedAt: string; LastUsedAt: string | null; UsageCount: number; InUse: boolean; Shared: boolean; Description?: string }[] | null;
}

/** One line of a JSON progress stream (import, load, pull). */
export interface JsonMessage {
  status?: string;
  id?: string;
  progress?: string;
  progressDetail?: { current?: number; total?: number };
  stream?: string;
  error?: string;
  errorDetail?: { message?: string; code?: number };
  aux?: unknown;
}
