/**
 * The layering of src/, checked by `npm run lint` (dependency-cruiser).
 *
 * One folder per capability; a folder imports only folders of a LOWER layer (never its own
 * layer, never a higher one), so no folder cycle can exist. `src/cli` is the one composition
 * root: it wires the capabilities together and owns option parsing and usage text.
 *
 * To add a folder: put it in LAYERS below (the lint fails for a folder that is not listed).
 * To let folder A use folder B: B must be in a lower layer than A; when it is not, move the
 * shared piece down (types to src/model, helpers to src/util) instead of raising B.
 */
const LAYERS = [
  // 0: helpers and shared domain types (rrtype: the RR-type registry); import no other src folder.
  ['util', 'model', 'native', 'rrtype'],
  // 1: pure parsers, codecs and data: the zone file reader, the geo database, dnstap output.
  ['zone', 'geo', 'dnstap'],
  // 2: DNSSEC keys, signing and denial of existence (over zone data).
  ['dnssec'],
  // 3: the DNS server core; the delivery-language loader.
  ['dns', 'config'],
  // 4: pick strategies and the datacenter-pick responder.
  ['pick'],
  // 5: member signals (OTLP receiver, registry); the operator's status view.
  ['signals', 'status'],
  // 6: anypick's own metrics and the telemetry HTTP endpoint.
  ['telemetry'],
  // 7: the tiers built on the above: L7 proxies, the BGP announcer.
  ['l7', 'bgp'],
  // 8: composition roots: the command line; the lab driver.
  ['cli', 'lab'],
];

const layerOf = new Map(LAYERS.flatMap((folders, i) => folders.map((f) => [f, i])));
const known = [...layerOf.keys()];

/** One rule per folder: no import of a folder in the same or a higher layer. */
const layerRules = [...layerOf].flatMap(([folder, layer]) => {
  const notBelow = known.filter((f) => f !== folder && layerOf.get(f) >= layer);
  if (notBelow.length === 0) return [];
  return [{
    name: `layer-${folder}`,
    comment: `src/${folder} (layer ${layer}) may import only folders of layers below ${layer}: ${known.filter((f) => layerOf.get(f) < layer).join(', ') || 'none'} (see LAYERS in .dependency-cruiser.cjs)`,
    severity: 'error',
    from: { path: `^src/${folder}/` },
    to: { path: `^src/(${notBelow.join('|')})/` },
  }];
});

module.exports = {
  forbidden: [
    ...layerRules,
    {
      name: 'unlisted-folder',
      comment: 'every folder under src/ has a place in LAYERS (.dependency-cruiser.cjs)',
      severity: 'error',
      from: { path: `^src/(?!(${known.join('|')})/)[^/]+/` },
      to: {},
    },
    {
      name: 'no-circular',
      comment: 'no import cycle between modules (folder cycles are excluded by the layers)',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'src-not-to-test',
      comment: 'the program does not import tests, benchmarks or scripts',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^(test|bench|scripts)/' },
    },
    {
      name: 'src-not-to-dev-deps',
      comment: 'the program uses only runtime dependencies (devDependencies are for tests and benchmarks)',
      severity: 'error',
      from: { path: '^src/' },
      to: { dependencyTypes: ['npm-dev'] },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'every import resolves',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: '^(dist|node_modules)/' },
    // Type-only imports count: a type from a higher folder is as much an upward dependency.
  },
};
