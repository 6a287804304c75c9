// Live edits, DST, scale and concurrency, in one test process (one PGlite start).
import './edits.cases.js';
import './scale.cases.js';
