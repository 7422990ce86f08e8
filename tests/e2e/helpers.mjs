// Shared by the specs: the registry (from the CLI, so the registry drives the sweep), console
// capture, and the CLI itself.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const root = path.resolve(here, '../..');
export const cli = process.env.PILLARS_SIM || path.join(root, 'target/release/pillars-sim');

/** Run the native CLI and return its stdout. */
export function runCli(args) {
  return execFileSync(cli, args, { encoding: 'utf8' }).trim();
}

/** Every widget in the registry: [{slug, page, title, built}]. */
export const widgets = JSON.parse(runCli(['list', '--json']));

/** Collect console errors/warnings and page errors; call the result to get them. */
export function watchConsole(page) {
  const bad = [];
  page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') bad.push(`${m.type()}: ${m.text()}`); });
  page.on('pageerror', (e) => bad.push(`pageerror: ${e.message}`));
  return () => bad;
}

/** The text of a headline metric. */
export async function metricText(scope, key) {
  return (await scope.locator(`[data-metric="${key}"]`).first().innerText()).trim();
}
