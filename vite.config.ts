// One config, three builds chosen by --mode:
//   (default)          the renderer → dist/renderer
//   electron-main      the Electron main process (core, handlers, shell) → dist-electron/main.js,
//                      its backup worker → dist-electron/backup-worker.js and the HTTP host
//                      the drill boots → dist-electron/serve.js
//   electron-preload   the preload script → dist-electron/preload.cjs
import { defineConfig } from 'vite';
import type { Plugin } from 'vite';
import react from '@vitejs/plugin-react';
import { builtinModules } from 'node:module';
import path from 'node:path';

// The built index.html carries the CSP as a meta tag too, beside the header that
// Electron's app:// handler and the HTTP host send. Not in dev, where Vite's inline
// refresh script must run. `base: './'` keeps asset URLs relative, so the same build
// works at app://stateward/ and at the host's http://127.0.0.1:<port>/.
const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'";
const cspMeta: Plugin = {
  name: 'stateward-csp-meta',
  apply: 'build',
  transformIndexHtml: () => [
    {
      tag: 'meta',
      attrs: { 'http-equiv': 'Content-Security-Policy', content: CSP },
      injectTo: 'head-prepend',
    },
  ],
};

const nodeExternals = [
  'electron',
  'better-sqlite3',
  ...builtinModules,
  ...builtinModules.map((m) => `node:${m}`),
];

export default defineConfig(({ mode }) => {
  if (mode === 'electron-main') {
    return {
      build: {
        outDir: 'dist-electron',
        emptyOutDir: false,
        target: 'node22',
        minify: false,
        sourcemap: true,
        ssr: true,
        // The backup worker is its own entry: core starts it as ./backup-worker.js beside main.js.
        lib: {
          entry: {
            main: path.resolve('electron/main/main.ts'),
            'backup-worker': path.resolve('electron/core/backup/worker.ts'),
            // The HTTP host: the restore drill boots it on a copy as a utility process.
            serve: path.resolve('electron/host/serve.ts'),
          },
          formats: ['es'],
          fileName: (_format, name) => `${name}.js`,
        },
        rollupOptions: { external: nodeExternals },
      },
    };
  }
  if (mode === 'electron-preload') {
    return {
      build: {
        outDir: 'dist-electron',
        emptyOutDir: false,
        target: 'node22',
        minify: false,
        sourcemap: true,
        ssr: true,
        // Sandboxed preloads must be CommonJS.
        lib: {
          entry: path.resolve('electron/main/preload.ts'),
          formats: ['cjs'],
          fileName: () => 'preload.cjs',
        },
        rollupOptions: { external: ['electron'] },
      },
    };
  }
  return {
    root: 'renderer',
    base: './',
    plugins: [react(), cspMeta],
    build: { outDir: path.resolve('dist/renderer'), emptyOutDir: true, target: 'es2022' },
    server: { port: 5173, strictPort: false },
  };
});
