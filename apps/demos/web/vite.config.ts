import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

/** The demo pages: one HTML entry per page, built into apps/demos/dist for the dev stack to serve. */
export default defineConfig({
  root: here('.'),
  base: '/',
  // The workspace packages are TypeScript sources (their `hutong-src` export condition).
  resolve: { conditions: ['hutong-src', 'browser', 'module', 'import', 'default'] },
  build: {
    outDir: here('../dist'),
    emptyOutDir: true,
    target: 'es2022',
    rollupOptions: {
      input: {
        home: here('index.html'),
        chat: here('chat/index.html'),
        doodle: here('doodle/index.html'),
        im: here('im-chat/index.html'),
      },
    },
  },
});
