import { EXIT } from '../command';
import type { Command } from '../command';
import { loadPaths } from '../../config/load';
import { loadResultJson } from '../../config/json';
import { allServices } from '../../config/walk';
import { datacenterLocationWarnings } from '../../pick/check-locations';
import { GEOIP_DB_OPTION, openGeoOption } from '../geo-option';
import { dsLines, keyLines } from '../../dnssec/report';

/** `anypick check [PATH…] [--json]`: validates zone and delivery files together. */
export const checkCommand: Command = {
  name: 'check',
  summary: 'validate zone and delivery files (default: zones bgp)',
  usage: `Usage: anypick check [PATH…] [--json] [--geoip-db FILE]

Loads every *.zone and *.delivery file under PATH (files or directories, searched
recursively; default: zones bgp) into one namespace, resolves every reference and
checks delivery names against the zones served.

  --json           print the resolved model and a summary of the zones on stdout
  --geoip-db FILE  geo database placing datacenter-pick members (default
                   geo-data/sample.mmdb; 'none' for no database)

Errors go to stderr as 'file:line:col: message', warnings as
'file:line:col: warning: message'. Exit 0 when valid, 1 when any error was found.
See docs/delivery-language.md.`,
  options: {
    json: { type: 'boolean' },
    ...GEOIP_DB_OPTION,
  },
  async run(values, positionals) {
    const paths = positionals.length > 0 ? positionals : ['zones', 'bgp'];
    const r = loadPaths(paths);
    if (r.errors.length === 0) r.warnings.push(...datacenterLocationWarnings(r.model, () => openGeoOption(values['geoip-db'], { watch: false })));
    for (const w of r.warnings) process.stderr.write(`${w.pos.file}:${w.pos.line}:${w.pos.col}: warning: ${w.message}\n`);
    for (const e of r.errors) process.stderr.write(e.format() + '\n');
    if (values.json) process.stdout.write(JSON.stringify(loadResultJson(r), null, 2) + '\n');
    else if (r.errors.length === 0) {
      const m = r.model;
      const n = (k: number, word: string): string => `${k} ${word}${k === 1 ? '' : 's'}`;
      process.stdout.write(`ok: ${n(r.files.length, 'file')}, ${n(r.zones.length, 'zone')}, ${m.deliveries.length} deliver${m.deliveries.length === 1 ? 'y' : 'ies'}, ${n(allServices(m).length, 'service')}, ${m.processes.length} process${m.processes.length === 1 ? '' : 'es'}\n`);
      // Signed zones: each key's state now and its next timing event, and the DS for the parent.
      const nowS = Math.floor(Date.now() / 1000);
      for (const [zone, d] of r.dnssec) {
        process.stdout.write(`${zone}: signed online with ${n(d.keys.length, 'key')} from ${d.settings.keysDir}\n`);
        for (const l of keyLines(d.keys, nowS)) process.stdout.write(`  ${l}\n`);
        for (const l of dsLines(zone, d.keys, nowS)) process.stdout.write(`  ${l}\n`);
      }
    }
    return r.errors.length === 0 ? EXIT.OK : EXIT.INVALID;
  },
};
