/** `delete-sync`: one registration per subcommand (src/cli/commands/<name>.ts). */
import { register as registerBackfill } from './commands/backfill.js';
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
registerDoctor(program);

process.exitCode = await runCli(program, process.argv);
