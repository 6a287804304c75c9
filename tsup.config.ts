import { defineConfig } from 'tsup';

// One build with every entry point, so the shared core lands in common chunks and
// `instanceof` holds across subpaths (tickwork/sqlite and tickwork see one TickworkError).
export default defineConfig({
  entry: {
    index: 'src/index.ts',
    sqlite: 'src/sqlite/index.ts',
    postgres: 'src/postgres/index.ts',
    express: 'src/express/index.ts',
    fastify: 'src/fastify/index.ts',
    testing: 'src/testing/index.ts',
  },
  format: ['esm', 'cjs'],
  dts: true,
  splitting: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
  external: ['kysely', 'better-sqlite3', 'pg', 'express', 'fastify'],
});
