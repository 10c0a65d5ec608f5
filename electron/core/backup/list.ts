// Listing backups: the backups folder is the source of truth (a backup the CLI
// wrote while the app runs shows up without any bookkeeping). Sidecars are
// validated; a lone .sqlite is listed as a backup without a manifest, one whose
// manifest is damaged as a damaged backup.
import fs from 'node:fs';
import path from 'node:path';
import type { BackupEntry, BackupManifest, DrillReport } from '../../../shared/domain.ts';
import { listDir, readSmallRegularFile } from '../fsutil.ts';
import { BACKUP_EXT, manifestNameFor, manifestSchema, parseBackupFileName } from './manifest.ts';
import type { BackupFileState } from './verification.ts';
import { verificationIndex } from './verification.ts';

export function readManifest(file: string): BackupManifest | null {
  const r = readManifestState(file);
  return r.state === 'ok' ? r.manifest : null;
}

/** Manifests are a few KiB: a much larger file there is not one. */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

/** A sidecar as it is: there and valid, not there, or there but not a readable Stateward manifest. */
export function readManifestState(
  file: string,
):
  | { state: 'ok'; manifest: BackupManifest }
  | { state: 'missing' }
  | { state: 'unreadable'; why: string } {
  let text: string;
  try {
    // Never blocks: a named pipe or a device there would hang the list for ever.
    text = readSmallRegularFile(file, MAX_MANIFEST_BYTES).toString('utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { state: 'missing' };
    const kind = (e as { kind?: string }).kind;
    if (kind) return { state: 'unreadable', why: `is ${kind} and cannot be read as a manifest` };
    if (code === 'EACCES' || code === 'EPERM' || code === 'EISDIR' || code === 'EIO')
      return { state: 'unreadable', why: `cannot be read (${code})` };
    throw e;
  }
  try {
    const parsed = manifestSchema.safeParse(JSON.parse(text));
    return parsed.success
      ? { state: 'ok', manifest: parsed.data }
      : { state: 'unreadable', why: 'is not a Stateward manifest' };
  } catch (e) {
    if (e instanceof SyntaxError) return { state: 'unreadable', why: 'is not valid JSON' };
    throw e;
  }
}

/** Damage the listing can see without opening the file (restore refuses each of these too). */
function damageOf(
  name: string,
  bytes: number,
  sidecar: ReturnType<typeof readManifestState>,
): BackupFileState['damage'] {
  if (sidecar.state === 'unreadable')
    return {
      code: 'BACKUP_MANIFEST_UNREADABLE',
      reason: `Its manifest (${manifestNameFor(name)}) ${sidecar.why}, so the file cannot be checked against it; a restore refuses it.`,
    };
  if (sidecar.state === 'ok' && sidecar.manifest.fileName !== name && parseBackupFileName(name))
    return {
      code: 'BACKUP_FACTS_MISMATCH',
      reason: `Its manifest describes another file (${sidecar.manifest.fileName}); a restore refuses it.`,
    };
  if (
    sidecar.state === 'ok' &&
    sidecar.manifest.fileName === name &&
    sidecar.manifest.bytes !== bytes
  )
    return {
      code: 'BACKUP_HASH_MISMATCH',
      reason: `It is ${bytes} bytes, its manifest records ${sidecar.manifest.bytes}: it changed or was damaged after the backup was taken.`,
    };
  return null;
}

/** The backups in `dir`, newest first, each with its verified state from `drills` (the drill reports). */
export function listBackupFiles(
  dir: string,
  offsiteDir: string | null,
  drills: readonly DrillReport[] = [],
): BackupEntry[] {
  const verify = verificationIndex(drills);
  // No folder, or something that is not one: there are no backups to list (taking one reports why).
  const names = listDir(dir);
  const entries: BackupEntry[] = [];
  for (const name of names) {
    // Hidden names are temporaries (ours, or another program's), never a backup.
    if (!name.endsWith(BACKUP_EXT) || name.startsWith('.')) continue;
    const file = path.join(dir, name);
    let stat: fs.Stats;
    try {
      stat = fs.statSync(file);
    } catch {
      continue; // removed while listing
    }
    if (!stat.isFile()) continue;
    const sidecar = readManifestState(path.join(dir, manifestNameFor(name)));
    // A sidecar that describes another file (copied or renamed beside it) is not this backup's.
    const manifest =
      sidecar.state === 'ok' && sidecar.manifest.fileName === name ? sidecar.manifest : null;
    const fromName = parseBackupFileName(name);
    const id = manifest?.id ?? fromName?.id ?? name.slice(0, -BACKUP_EXT.length);
    let offsite = { copied: false, verifiedAt: null as number | null };
    if (offsiteDir) {
      try {
        const copy = fs.statSync(path.join(offsiteDir, name));
        const copyManifest = fs.statSync(path.join(offsiteDir, manifestNameFor(name)));
        if (copy.size === stat.size)
          offsite = { copied: true, verifiedAt: Math.round(copyManifest.mtimeMs) };
      } catch {
        // not copied (yet)
      }
    }
    const verification = verify({
      id,
      fileName: name,
      bytes: stat.size,
      sha256: manifest?.sha256 ?? null,
      modifiedAt: stat.mtimeMs,
      damage: damageOf(name, stat.size, sidecar),
    });
    entries.push({
      id,
      kind: manifest?.kind ?? fromName?.kind ?? 'manual',
      createdAt: manifest?.createdAt ?? fromName?.createdAt ?? Math.round(stat.mtimeMs),
      bytes: stat.size,
      schemaVersion: manifest?.schemaVersion ?? 0,
      compact: manifest?.compact ?? false,
      sha256: manifest?.sha256 ?? null,
      fileName: name,
      location: 'backups',
      hasManifest: manifest !== null,
      offsite,
      verifiedAt: verification.state === 'verified' ? verification.at : null,
      verification,
      manifest,
    });
  }
  return entries.sort((a, b) => b.createdAt - a.createdAt);
}
