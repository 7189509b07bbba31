// stdin: `azd env get-values --output json`. stdout: `export NAME='value'` for each value the shell does
// not already have, single-quoted so that nothing in a value is expanded or run by `eval`.
let input = '';
for await (const chunk of process.stdin) input += chunk;
const values = JSON.parse(input);
const quote = (value) => `'${String(value).replaceAll("'", "'\\''")}'`;
for (const [name, value] of Object.entries(values)) {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name) || process.env[name] !== undefined) continue;
  process.stdout.write(`export ${name}=${quote(value)}\n`);
}
