// The engine's suites share one test process (and so one PGlite instance, which is slow to start).
import './api.cases.js';
import './flow.cases.js';
import './control.cases.js';
