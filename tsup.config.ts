import { defineConfig } from 'tsup';

// ESM only, one build with every entry point: the shared core lands in common chunks, so
// every subpath sees one copy (`instanceof TickworkError` holds across them). CommonJS
// hosts load it through require(esm), which Node 20.19+ supports without a flag.
export default defineConfig({
  entry: {
    index: 'src/index.ts',
    sqlite: 'src/sqlite/index.ts',
    postgres: 'src/postgres/index.ts',
    express: 'src/express/index.ts',
    fastify: 'src/fastify/index.ts',
    testing: 'src/testing/index.ts',
  },
  format: ['esm'],
  dts: true,
  splitting: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
  external: ['kysely', 'better-sqlite3', 'pg', 'express', 'fastify'],
});
