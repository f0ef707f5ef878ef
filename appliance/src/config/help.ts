/** The --help text, generated from the schema so that it cannot drift from what is accepted. */
import { FIELDS } from './schema.js';

export function helpText(): string {
  const lines = [
    'Usage: lanbox [flags]',
    '',
    'Runs the lanbox appliance: a DHT bootstrap node for Jami, local peer discovery, a Jami name',
    'server, a TURN monitor and the status page. Every flag can also be set in the JSON config',
    'file under the key shown in brackets; flags win over the file, the file over the defaults.',
    '',
    'Flags (config file key in brackets):',
    '  --config FILE',
    '      read settings from this JSON file (an object with the keys below)',
  ];
  for (const f of FIELDS) {
    const head = f.kind === 'boolean' ? `--${f.flag}, --no-${f.flag}` : `--${f.flag} ${f.valueName}`;
    const local = f.defaultText('local');
    const box = f.defaultText('box');
    const def = local === box ? local : `${local} (profile box: ${box})`;
    lines.push(`  ${head}  [${f.key}]`, `      ${f.description}`, `      default: ${def}`);
  }
  lines.push(
    '  --help',
    '      show this text',
    '  --version',
    '      print the version',
    '  --selftest',
    '      start every service on loopback with a temporary data dir, check /api/status, stop; exit 0 if all worked',
    '  --repair',
    '      with lanbox stopped: repair the stores in the data dir (a copy of the damaged files is kept in',
    '      <data-dir>/damaged/) and restore names from the last backup; prints what was done, exit 0 if usable',
  );
  lines.push('');
  lines.push('Exit codes: 0 clean shutdown (SIGTERM/SIGINT), 1 unexpected failure, 2 bad configuration.');
  return lines.join('\n') + '\n';
}
