// Where ext4 puts the inodes of a new layer. Every unpack starts as a directory in tmp/; ext4
// allocates a new directory's inode near its parent's block group, and a file's in its parent's
// group, so every layer's files would share the few groups around tmp/. On ext4 without a
// journal the allocator skips each free inode of a group that was deleted in the last minute or
// so (recently_deleted(), rechecked from the start of the group at every create): where files
// are created and deleted nearby (containers, builds, other pulls; here other people's tests),
// every create pays for all of them (measured: 200-300 us of kernel CPU per file, 1.2 s for the
// 4000 small files of the pull bench). With the "top directory" flag (chattr +T) on tmp/, ext4
// places each unpack-* directory as it places top-level ones (Orlov: a group with free inodes
// and blocks above average and few directories), and the layer's files follow it there:
// 20-40 us per file. The flag changes nothing else (it is not inherited and says nothing about
// data); filesystems without it (xfs, btrfs, tmpfs) refuse it and are left alone.
import { runHelper } from './helper-exec.js';

/** Best effort `chattr +T dir`; resolves whether the flag was set. */
export async function spreadSubdirs(dir: string): Promise<boolean> {
  return (await runHelper('chattr', ['+T', dir])).code === 0;
}
