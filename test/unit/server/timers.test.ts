import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/log.js';
import { startTimers } from '../../../src/server/timers.js';

const log = createLogger({ level: 'error', sink: () => undefined });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('startTimers', () => {
  it('runs each job at once and then on its interval, never two runs of one job at a time, and survives failures', async () => {
    let runs = 0;
    let inFlight = 0;
    let maxInFlight = 0;
    let failures = 0;
    const timers = startTimers(
      [
        {
          name: 'slow',
          everyMs: 5,
          run: async () => {
            runs += 1;
            inFlight += 1;
            maxInFlight = Math.max(maxInFlight, inFlight);
            await sleep(20);
            inFlight -= 1;
          },
        },
        {
          name: 'failing',
          everyMs: 5,
          run: async () => {
            failures += 1;
            throw new Error('upstream down');
          },
        },
      ],
      log,
    );
    await sleep(120);
    await timers.stop();
    const after = runs;
    await sleep(40);
    expect(runs).toBeGreaterThanOrEqual(3);
    expect(maxInFlight).toBe(1);
    expect(failures).toBeGreaterThanOrEqual(3);
    expect(runs).toBe(after);
  });
});
