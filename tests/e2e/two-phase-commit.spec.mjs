// two-phase-commit (book page 27): the reference numbers on screen, a control, the live system.
import { test, expect } from '@playwright/test';
import fs from 'node:fs';
import { runCli, watchConsole } from './helpers.mjs';

const slug = 'two-phase-commit';
const value = async (page, key) => (await page.locator(`[data-metric="${key}"] .value`).first().innerText()).trim();

// the app's number formatting (chrome::metrics::sig3 / ms / int)
const int = (n) => String(Math.round(n)).replace(/\B(?=(\d{3})+(?!\d))/g, '\u2009');
function sig3(x) {
  const a = Math.abs(x);
  if (a === 0) return '0';
  if (a >= 1000) return int(x);
  if (a >= 100) return x.toFixed(0);
  if (a >= 10) return x.toFixed(1);
  if (a >= 1) return x.toFixed(2);
  return x.toFixed(3);
}
const ms = (v) => (v == null ? '∞' : v >= 10000 ? `${sig3(v / 1000)} s` : `${sig3(v)} ms`);

async function ready(page) {
  await expect(page.locator(`[data-slug="${slug}"]`)).toHaveAttribute('aria-busy', 'false');
  await expect(page.locator('[data-metric="outcome"] .value')).toBeVisible();
}

test('two-phase-commit: failure-free theory on screen (2PC: 3 delays, 4N messages; Paxos Commit: 4 delays, N(4F+5))', async ({ page }) => {
  const problems = watchConsole(page);
  await page.goto(`/widget/${slug}?crash=none&jitter_ms=0`);
  await ready(page);
  expect(await value(page, 'outcome')).toBe('commit');
  expect(await value(page, 'messages')).toBe('12');
  expect(await value(page, 'latency')).toBe('30.0 ms');
  await page.goto(`/widget/${slug}?crash=none&jitter_ms=0&protocol=paxos`);
  await ready(page);
  expect(await value(page, 'messages')).toBe('27');
  expect(await value(page, 'latency')).toBe('40.0 ms');
  expect(problems()).toEqual([]);
});

test('two-phase-commit: the default crash on screen matches the core; switching protocol changes the outcome', async ({ page }) => {
  const problems = watchConsole(page);
  await page.goto(`/widget/${slug}`);
  await ready(page);
  const r = JSON.parse(runCli(['run', slug])).report;
  const [two, pax] = r.runs;
  expect(two.decision).toBe('abort'); // presumed abort after the coordinator's restart
  expect(pax.decision).toBe('commit'); // recovered through the acceptors
  expect(two.max_blocked_ms).toBeGreaterThan(900);
  expect(pax.max_blocked_ms).toBeLessThan(300);
  expect(await value(page, 'outcome')).toBe('abort');
  expect(await value(page, 'max_blocked')).toBe(ms(two.max_blocked_ms));
  expect(await value(page, 'latency')).toBe(ms(two.latency_ms));
  expect(await value(page, 'messages')).toBe(int(two.messages));
  expect(await value(page, 'atomic')).toBe('yes');
  for (const b of r.batch) expect(b.atomicity_violations + b.validity_violations + b.safety_violations).toBe(0);
  await expect(page.locator('canvas')).toHaveCount(2);
  await page.locator(`#w-${slug}-protocol`).selectOption('paxos');
  await expect(page).toHaveURL(/protocol=paxos/);
  await expect.poll(() => value(page, 'outcome'), { timeout: 15_000 }).toBe('commit');
  expect(await value(page, 'max_blocked')).toBe(ms(pax.max_blocked_ms));
  expect(problems()).toEqual([]);
});

test('two-phase-commit: the live system steps, and a click crashes and restarts a node', async ({ page }) => {
  const problems = watchConsole(page);
  await page.goto(`/widget/${slug}?crash=none`);
  await ready(page);
  const live = page.locator('section.live');
  await expect(live.locator('.tpc-msg')).toHaveCount(3); // the three prepares, on their way
  await live.getByRole('button', { name: 'Step' }).click();
  await expect(live.locator('.tpc-log li')).toHaveCount(1); // a prepare arrived: a yes vote
  const p1 = live.getByRole('button', { name: /^P1 \(participant\)/ });
  await expect(p1).toHaveAttribute('aria-label', /crash it$/);
  await p1.click();
  await expect(p1).toHaveAttribute('aria-label', /down.*restart it$/);
  await p1.focus();
  await page.keyboard.press('Enter');
  await expect(p1).toHaveAttribute('aria-label', /crash it$/);
  await expect(live.locator('.tpc-log li')).not.toHaveCount(0);
  expect(problems()).toEqual([]);
});

test('two-phase-commit: the browser export equals the CLI output, byte for byte', async ({ page }) => {
  const problems = watchConsole(page);
  const knobs = { protocol: 'paxos', partition: 'p1_to_c', drop_pct: '5', batch: '50' };
  await page.goto(`/widget/${slug}?${new URLSearchParams({ ...knobs, seed: '7' })}`);
  await ready(page);
  await expect(page.getByRole('button', { name: 'Export JSON' })).toBeEnabled();
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export JSON' }).click()]);
  const browser = fs.readFileSync(await download.path(), 'utf8');
  const args = ['run', slug, '--seed', '7', ...Object.entries(knobs).flatMap(([k, v]) => ['--set', `${k}=${v}`])];
  expect(browser).toBe(runCli(args));
  expect(problems()).toEqual([]);
});

test('two-phase-commit: the sequence diagram grows to every message, a broadcast on one row; a crash shows as lost votes after a long silence', async ({ page }) => {
  const problems = watchConsole(page);
  // failure-free 2PC without jitter: prepare ×3 on one row, three votes, commit ×3, three acks
  await page.goto(`/widget/${slug}?crash=none&jitter_ms=0`);
  await ready(page);
  const seq = page.locator('svg.tpc-seq');
  await expect(seq).toHaveAttribute('aria-label', 'Sequence diagram: 3 messages sent so far');
  await expect(seq.locator('.tpc-seq-row')).toHaveCount(1);
  await page.locator(`#w-${slug}-speed`).selectOption('1');
  await page.getByRole('button', { name: '▶ Play' }).click();
  await expect(seq).toHaveAttribute('aria-label', 'Sequence diagram: 12 messages sent so far', { timeout: 15_000 });
  await expect(seq.locator('.tpc-seq-row')).toHaveCount(8);
  await expect(seq.getByText('prepare ×3')).toHaveCount(1);
  await expect(seq.getByText('commit ×3')).toHaveCount(1);
  await expect(seq.getByText('yes', { exact: true })).toHaveCount(3);
  await expect(seq.getByText('✕')).toHaveCount(0);
  // the book's failure: the coordinator crashes after prepare, so the votes are lost on arrival,
  // and nothing is sent until it comes back a second later
  await page.goto(`/widget/${slug}?protocol=2pc`);
  await ready(page);
  await page.locator(`#w-${slug}-speed`).selectOption('1');
  await page.getByRole('button', { name: '▶ Play' }).click();
  await expect(seq.getByText('✕').first()).toBeVisible({ timeout: 15_000 });
  await expect(seq.locator('line[stroke-dasharray="1 3"]')).not.toHaveCount(0, { timeout: 15_000 });
  expect(problems()).toEqual([]);
});
