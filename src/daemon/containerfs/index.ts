// Public surface of the container filesystem operations (docker cp, diff, export, commit).
//
//   const fsvc = new ContainerFsService({ containers, rootfs: snapshots, snapshots, content, images, events, logger, version })
//   await fsvc.statPath('web', '/etc/passwd')                 // PathStat (X-Docker-Container-Path-Stat)
//   const { stat, stream } = await fsvc.archivePath('web', '/etc')   // tar, entries "etc/..."
//   await fsvc.extractToDir('web', '/tmp', tarStream, { noOverwriteDirNonDir: true, copyUIDGID: false })
//   await fsvc.changes('web')                                // [{ path, kind: 0 modify | 1 add | 2 delete }]
//   const tar = await fsvc.export('web')
//   const { id } = await fsvc.commit({ container: 'web', repo: 'app', tag: 'v2', changes: ['CMD ["sh"]'] })
//
// Events (type "container"): archive-path, extract-to-dir, export, commit.
export { ContainerFsService, goFileMode, rfc3339Nano, type CommitOptions, type ContainerFsBackend, type ContainerFsOptions, type PathStat } from './service.js';
export { ChangeKind, type Change } from './changes.js';
