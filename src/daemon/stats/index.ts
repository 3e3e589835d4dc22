// Public surface of container stats (GET /containers/{id}/stats, `docker stats`).
//
//   const stats = new StatsService({ containers })
//   for await (const s of stats.stream('web', { stream: true, oneShot: false, signal })) ...
//   stats.sample(record)   // one reading now, no precpu
export { StatsService, type CpuSample, type StatsBackend, type StatsOptions, type StatsSample, type StreamOptions } from './service.js';
export { cgroupVersion, locateCgroup, readCgroupStats, systemCpu, parseNetDev, type CgroupDirs, type CgroupStats, type CgroupVersion, type NetStats, type BlkioEntry } from './cgroups.js';
