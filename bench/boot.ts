// `npm run bench -- --only boot`: the drill's boot step (the real app started on a
// copy of the restored copy, /ready, signed in, read over HTTP, stopped, rechecked)
// as a share of the whole restore drill it is part of, on the bench database.
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { createBackup } from '../electron/core/backup/engine.ts';
import { startRuntime } from '../electron/core/runtime.ts';
import { median, secs } from './format.ts';

export async function bootBench(opts: {
  source: string;
  runs: number;
  log: (s: string) => void;
}): Promise<string> {
  const { source, runs, log } = opts;
  const work = fs.mkdtempSync(path.join(path.dirname(source), 'boot-'));
  try {
    const backup = await createBackup({
      source,
      outDir: path.join(work, 'backups'),
      kind: 'manual',
      compact: false,
    });
    const rt = await startRuntime({
      dir: path.join(work, 'data'),
      source: 'flag',
      transport: 'cli',
      lockMode: 'bench',
    });
    const drillMs: number[] = [];
    const bootMs: number[] = [];
    const probeMs = new Map<string, number[]>();
    try {
      for (let i = 0; i < runs; i++) {
        // Dirty pages out first, so no run pays for the one before it.
        spawnSync('sync');
        const t = performance.now();
        const report = await rt.restores.verify({ path: backup.path });
        drillMs.push(performance.now() - t);
        const boot = report.steps.find((s) => s.key === 'host');
        if (!report.passed || !boot) throw new Error(`drill did not pass: ${report.summary}`);
        bootMs.push(boot.ms);
        for (const p of boot.probes ?? [])
          probeMs.set(p.name, [...(probeMs.get(p.name) ?? []), p.ms]);
        log(
          `  drill run ${i + 1}: ${secs(drillMs[i]!)}, boot step ${secs(boot.ms)} (${(boot.probes ?? []).map((p) => `${p.name} ${p.ms} ms`).join(', ')})`,
        );
      }
    } finally {
      rt.close();
    }
    const share = median(bootMs.map((b, i) => b / drillMs[i]!));
    const lines = [
      `\nStateward drill boot step — ${(backup.manifest.bytes / 1048576).toFixed(0)} MiB backup, median of ${runs}`,
      `restore + whole drill      ${secs(median(drillMs))}`,
      `boot step                  ${secs(median(bootMs))}`,
      `boot step's share          ${(share * 100).toFixed(1)} % (target < 10 %)`,
      ...[...probeMs].map(([name, ms]) => `  ${name.padEnd(24)} ${median(ms)} ms`),
    ];
    return `${lines.join('\n')}\n`;
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}
