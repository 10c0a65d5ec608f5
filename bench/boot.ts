// `npm run bench -- --only boot`: what the drill's boot step (the real app started on
// the restored copy moved into a private folder, /ready, signed in, read over HTTP,
// stopped, rechecked, moved back) costs a whole restore drill on the bench database:
// drills with it and without it, alternating, on the same backup in the same run. The
// step runs after the drill's other steps, so its own duration is what it adds; the
// difference between the two drills' medians is printed too (noisy on a loaded machine).
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import type { DrillReport } from '../shared/domain.ts';
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
    const withMs: number[] = [];
    const withoutMs: number[] = [];
    const stepMs: number[] = [];
    const probeMs = new Map<string, number[]>();
    const recheck: string[] = [];
    const drill = async (boot: boolean): Promise<{ ms: number; report: DrillReport }> => {
      rt.restores.bootOptions = boot ? {} : false;
      // Dirty pages out first, so no run pays for the one before it.
      spawnSync('sync');
      const t = performance.now();
      const report = await rt.restores.verify({ path: backup.path });
      if (!report.passed) throw new Error(`drill did not pass: ${report.summary}`);
      return { ms: performance.now() - t, report };
    };
    try {
      for (let i = 0; i < runs; i++) {
        const without = await drill(false);
        withoutMs.push(without.ms);
        const withBoot = await drill(true);
        withMs.push(withBoot.ms);
        const step = withBoot.report.steps.find((s) => s.key === 'host');
        if (!step) throw new Error('the drill has no boot step');
        stepMs.push(step.ms);
        for (const p of step.probes ?? [])
          probeMs.set(p.name, [...(probeMs.get(p.name) ?? []), p.ms]);
        if (step.facts?.quickCheck) recheck.push(String(step.facts.quickCheck));
        log(
          `  run ${i + 1}: drill ${secs(withMs[i]!)} with the boot step, ${secs(withoutMs[i]!)} without (share ${(((withMs[i]! - withoutMs[i]!) / withMs[i]!) * 100).toFixed(1)} %); the step itself ${secs(step.ms)} (${(step.probes ?? []).map((p) => `${p.name} ${p.ms} ms`).join(', ')}); quick_check after the app: ${step.facts?.quickCheck ?? '?'}`,
        );
      }
    } finally {
      rt.close();
    }
    const share = (median(withMs) - median(withoutMs)) / median(withMs);
    const own = median(stepMs.map((ms, i) => ms / withMs[i]!));
    const lines = [
      `\nStateward drill boot step — ${(backup.manifest.bytes / 1048576).toFixed(0)} MiB backup, median of ${runs}`,
      `restore + drill, with the boot step      ${secs(median(withMs))}`,
      `restore + drill, without it              ${secs(median(withoutMs))}`,
      `boot step's share of the drill           ${(own * 100).toFixed(1)} % (its own time / the drill's; target < 10 %)`,
      `  (difference of the medians             ${(share * 100).toFixed(1)} %)`,
      `the boot step on its own                 ${secs(median(stepMs))}`,
      `quick_check after the app                ${recheck.join(', ')} (stands: file unchanged since the integrity check)`,
      ...[...probeMs].map(([name, ms]) => `  ${name.padEnd(38)} ${median(ms)} ms`),
    ];
    return `${lines.join('\n')}\n`;
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}
