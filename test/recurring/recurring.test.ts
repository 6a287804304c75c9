import { describe } from 'vitest';
import { backends } from '../support/backends.js';
import { crudCases } from './crud.cases.js';
import { runCases } from './runs.cases.js';
import { dstCases, missedRunCases } from './schedule.cases.js';

/*
 * One test file for every database-backed case of the recurring engine, so that each
 * backend (PGlite above all, which boots per file) is started once for the whole suite.
 * The cases live in *.cases.ts by topic.
 */
describe.each(backends)('recurring engine on $name', (backend) => {
  describe('campaigns CRUD', () => crudCases(backend));
  describe('runs', () => runCases(backend));
  describe('missed runs after downtime', () => missedRunCases(backend));
  describe('DST transitions', () => dstCases(backend));
});
