// quorum (book page 27): the verdict and reference numbers on screen, a control, the live view.
import { test, expect } from '@playwright/test';
import { runCli, watchConsole, metricText } from './helpers.mjs';

const slug = 'quorum';
const pctText = (x, d) => `${(x * 100).toFixed(d)}\u00a0%`;
const value = async (page, key) => (await page.locator(`[data-metric="${key}"] .value`).first().innerText()).trim();

async function ready(page) {
  await expect(page.locator(`[data-slug="${slug}"]`)).toHaveAttribute('aria-busy', 'false');
  await expect(page.locator('[data-metric="p_stale_t0"] .value')).toBeVisible();
}

test('quorum: the book\'s N=3 W=2 R=2 is strict and never stale; numbers match the core', async ({ page }) => {
  const problems = watchConsole(page);
  await page.goto(`/widget/${slug}`);
  await ready(page);
  const r = JSON.parse(runCli(['run', slug])).report;
  expect(r.strict).toBe(true);
  expect(r.p_stale_t0).toBe(0);
  expect(await metricText(page, 'verdict')).toContain('Strict quorum');
  expect(await value(page, 'p_stale_t0')).toBe(pctText(0, 2));
  expect(await value(page, 'write_tolerates')).toBe('1 down');
  expect(await value(page, 'read_tolerates')).toBe('1 down');
  expect(await value(page, 'write_avail')).toBe(pctText(r.write_avail, 2));
  await expect(page.locator('canvas')).toHaveCount(3);
  expect(problems()).toEqual([]);
});

test('quorum: a partial quorum is stale sometimes; without propagation C(N−W,R)/C(N,R)', async ({ page }) => {
  const problems = watchConsole(page);
  await page.goto(`/widget/${slug}`);
  await ready(page);
  await page.getByRole('button', { name: 'Partial: N=3 W=1 R=1' }).click();
  await expect(page).toHaveURL(/w=1/);
  await expect.poll(() => metricText(page, 'verdict'), { timeout: 15_000 }).toContain('Partial quorum');
  const r = JSON.parse(runCli(['run', slug, '--set', 'w=1', '--set', 'r=1'])).report;
  expect(await value(page, 'p_stale_t0')).toBe(pctText(r.p_stale_t0, 2));
  expect(r.within_ms).toBeGreaterThan(0);
  expect(r.within_ms).toBeLessThan(100);
  await page.getByRole('button', { name: 'No propagation' }).click();
  await expect(page).toHaveURL(/propagate=false/);
  await expect.poll(() => value(page, 'within'), { timeout: 15_000 }).toBe('never');
  const q = JSON.parse(runCli(['run', slug, '--set', 'n=5', '--set', 'w=2', '--set', 'r=2', '--set', 'propagate=false'])).report;
  expect(q.p_stale_no_propagation).toBeCloseTo(0.3, 12);
  expect(Math.abs(q.p_stale_t0 - 0.3)).toBeLessThan(0.04);
  expect(problems()).toEqual([]);
});

test('quorum: the live view plays, and a replica crashes from the keyboard', async ({ page }) => {
  const problems = watchConsole(page);
  await page.goto(`/widget/${slug}`);
  await ready(page);
  const live = page.locator('.live');
  const node = live.getByRole('button', { name: /^Replica 1: up/ });
  await node.focus();
  await page.keyboard.press('Enter');
  // paused, the crash shows at once, not at the next Step
  await expect(live.getByRole('button', { name: /^Replica 1: crashed/ })).toBeVisible();
  for (let i = 0; i < 3; i++) await live.getByRole('button', { name: 'Step' }).click();
  await expect(live.getByRole('button', { name: /^Replica 1: crashed/ })).toBeVisible();
  await live.getByRole('button', { name: '▶ Play' }).click();
  await expect(live.locator('.player .status')).toContainText('write committed', { timeout: 15_000 });
  expect(problems()).toEqual([]);
});

test('quorum: a one-way cut of the way back fails a W = N write that every replica stores', async ({ page }) => {
  const problems = watchConsole(page);
  await page.goto(`/widget/${slug}?w=3&r=2`);
  await ready(page);
  const live = page.locator('.live');
  // cut replica 1's link twice from the keyboard, before anything arrives: open → in → out;
  // paused, each press shows at once
  const link = live.getByRole('button', { name: /^Link to replica 1: open/ });
  await link.focus();
  await page.keyboard.press('Enter');
  const cutIn = live.getByRole('button', { name: /^Link to replica 1: cut coordinator → replica/ });
  await expect(cutIn).toBeVisible();
  await cutIn.focus();
  await page.keyboard.press(' ');
  await expect(live.getByRole('button', { name: /^Link to replica 1: cut replica → coordinator/ })).toBeVisible();
  await live.locator('select').selectOption('0.2');
  await live.getByRole('button', { name: '▶ Play' }).click();
  await expect(live.locator('.player .status')).toContainText('write failed', { timeout: 20_000 });
  // the write failed, yet all three replicas stored it, and reads of two return it
  await expect(live.locator('[data-metric="live_holders"] .value')).toHaveText('3 / 3', { timeout: 20_000 });
  await expect(live.locator('.player .status')).toContainText('reads 5 done, 5 fresh', { timeout: 20_000 });
  expect(problems()).toEqual([]);
});
