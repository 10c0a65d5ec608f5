// Which -wal file is which: its inode plus the salts in its header (random for
// every new WAL), so a reused inode number is not mistaken for the same file.
import fs from 'node:fs';

export function walIdentity(file: string): string | null {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch {
    return null;
  }
  try {
    const header = Buffer.alloc(32);
    const n = fs.readSync(fd, header, 0, 32, 0);
    const salts = n >= 24 ? header.subarray(16, 24).toString('hex') : 'empty';
    return `${fs.fstatSync(fd).ino}:${salts}`;
  } finally {
    fs.closeSync(fd);
  }
}
