// Renderer entry: wire events into the stores, ask the app whether the data dir
// opened, and render.
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { on } from './api.ts';
import { App } from './App.tsx';
import { scheduleStatusRefresh, useApp } from './stores/app.ts';
import { useData } from './stores/data.ts';
import { useProgress } from './stores/progress.ts';
import './stores/theme.ts';
import './styles.css';

on('data.changed', ({ area }) => {
  useData.getState().bump(area);
  scheduleStatusRefresh();
});
on('progress', (p) => useProgress.getState().update(p));

void useApp.getState().start();

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element');
createRoot(root).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
