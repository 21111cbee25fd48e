/**
 * The dashboard's static files, served under `/assets/` from the installed npm packages (no
 * CDN, so the page works on an isolated management network): uPlot for the charts (MIT),
 * topojson-client (ISC) and world-atlas's 1:110m country outlines (ISC) for the traffic map.
 */
import { readFileSync } from 'node:fs';

/** URL path → package file and content type. */
const FILES: Record<string, [string, string]> = {
  '/assets/uplot.js': ['uplot/dist/uPlot.iife.min.js', 'text/javascript; charset=utf-8'],
  '/assets/uplot.css': ['uplot/dist/uPlot.min.css', 'text/css; charset=utf-8'],
  '/assets/topojson-client.js': ['topojson-client/dist/topojson-client.min.js', 'text/javascript; charset=utf-8'],
  '/assets/countries-110m.json': ['world-atlas/countries-110m.json', 'application/json'],
};

/** Reads every asset once (about 170 kB); throws when a package is not installed. */
export function dashboardAssets(): Record<string, { type: string; body: Buffer }> {
  const out: Record<string, { type: string; body: Buffer }> = {};
  for (const [path, [file, type]] of Object.entries(FILES)) out[path] = { type, body: readFileSync(require.resolve(file)) };
  return out;
}
