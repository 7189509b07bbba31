/**
 * Property tests in `npm test` are reproducible: every fc.assert without its own seed runs from this
 * fixed one. A soak run (RELIABILITY_SOAK=1) draws a random seed, prints it, and RELIABILITY_SEED replays it.
 */
import fc from 'fast-check';
import { suiteSeed } from '../helpers/reliability-runs.js';

fc.configureGlobal({ seed: suiteSeed('fast-check properties', 20261208) });
