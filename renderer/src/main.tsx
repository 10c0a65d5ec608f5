// Renderer entry: wire events into the stores, ask the app whether the data dir
// opened, and render.
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import type { ErrorCode } from '../../shared/errors.ts';
import { on } from './api.ts';
import { App } from './App.tsx';
import { withHint } from './backups.ts';
import { scheduleStatusRefresh, useApp } from './stores/app.ts';
import { useAutomation } from './stores/automation.ts';
import { useBackupWizard, wizardShowsFailure } from './stores/backupWizard.ts';
import { useData } from './stores/data.ts';
import { useProgress } from './stores/progress.ts';
import { toastError } from './stores/toasts.ts';
import './stores/theme.ts';
import './styles.css';

on('data.changed', ({ area }) => {
  useData.getState().bump(area);
  scheduleStatusRefresh();
});
on('progress', (p) => {
  useProgress.getState().update(p);
  if (p.op === 'backup') useBackupWizard.getState().sawProgress(p.opId);
});
on('automation.changed', (status) => useAutomation.getState().set(status));
on('backup.finished', () => useData.getState().bump('backups'));
on('backup.failed', (f) => {
  useData.getState().bump('backups');
  // The wizard shows its own manual backup's failure inline; everything else is a toast.
  if (f.kind === 'manual' && f.code !== 'OFFSITE_COPY_FAILED' && wizardShowsFailure()) return;
  const what =
    f.code === 'OFFSITE_COPY_FAILED' ? 'The off-site copy failed' : `The ${f.kind} backup failed`;
  toastError(what, withHint({ code: f.code as ErrorCode, message: f.message }));
});

void useApp.getState().start();

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element');
createRoot(root).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
