import { defineConfig } from 'vite';

/**
 * Built with `vite build web` from the repository root, so `root` is this folder and the
 * output lands in web/dist, which the server serves at `/`. Relative `base` keeps the bundle
 * working when a reverse proxy mounts the server under a path prefix.
 */
export default defineConfig({
  base: './',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
  },
});
