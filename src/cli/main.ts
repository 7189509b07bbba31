/** `delete-sync`: one registration per subcommand (src/cli/commands/<name>.ts). */
import { register as registerBackfill } from './commands/backfill.js';
import { register as registerDecisions } from './commands/decisions.js';
import { register as registerDiscard } from './commands/discard.js';
import { register as registerDoctor } from './commands/doctor.js';
import { register as registerExplain } from './commands/explain.js';
import { register as registerHeld } from './commands/held.js';
import { register as registerRegister } from './commands/register.js';
import { register as registerRelease } from './commands/release.js';
import { register as registerSubscribe } from './commands/subscribe.js';
import { register as registerSubscriptions } from './commands/subscriptions.js';
import { createProgram, runCli } from './program.js';

const program = createProgram();
registerExplain(program);
registerRegister(program);
registerHeld(program);
registerRelease(program);
registerDiscard(program);
registerSubscribe(program);
registerSubscriptions(program);
registerBackfill(program);
registerDecisions(program);
registerDoctor(program);

const code = await runCli(program, process.argv);
// Exit once the output is written, even if a timed-out request still holds a socket open.
await Promise.all([process.stdout, process.stderr].map((stream) => new Promise((resolve) => stream.write('', resolve))));
process.exit(code);
