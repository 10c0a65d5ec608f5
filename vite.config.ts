// One config, three builds chosen by --mode:
//   (default)          the renderer → dist/renderer
//   electron-main      the Electron main process (core, handlers, shell) → dist-electron/main.js
//   electron-preload   the preload script → dist-electron/preload.cjs
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';
import { builtinModules } from 'node:module';
import path from 'node:path';

const nodeExternals = ['electron', 'better-sqlite3', ...builtinModules, ...builtinModules.map((m) => `node:${m}`)];

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
        lib: { entry: path.resolve('electron/main/main.ts'), formats: ['es'], fileName: () => 'main.js' },
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
        lib: { entry: path.resolve('electron/main/preload.ts'), formats: ['cjs'], fileName: () => 'preload.cjs' },
        rollupOptions: { external: ['electron'] },
      },
    };
  }
  return {
    root: 'renderer',
    base: './',
    plugins: [react()],
    build: { outDir: path.resolve('dist/renderer'), emptyOutDir: true, target: 'es2022' },
    server: { port: 5173, strictPort: false },
  };
});
