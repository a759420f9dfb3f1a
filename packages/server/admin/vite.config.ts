import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

/** The dashboard page, served by the server at /admin/ (behind the admin token) once built. */
export default defineConfig({
  root: here('.'),
  base: '/admin/',
  build: { outDir: here('../dist/admin'), emptyOutDir: true, target: 'es2022' },
});
