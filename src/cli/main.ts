/** `delete-sync`: one registration per subcommand (src/cli/commands/<name>.ts). */
import { register as registerExplain } from './commands/explain.js';
import { register as registerRegister } from './commands/register.js';
import { createProgram, runCli } from './program.js';

const program = createProgram();
registerExplain(program);
registerRegister(program);

process.exitCode = await runCli(program, process.argv);
