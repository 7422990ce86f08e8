// conflict-resolution (book page 27): reference numbers on screen, a control, live faults.
import { test, expect } from '@playwright/test';
import { runCli, watchConsole } from './helpers.mjs';

const slug = 'conflict-resolution';

async function ready(page) {
  await expect(page.locator(`[data-slug="${slug}"]`)).toHaveAttribute('aria-busy', 'false');
  await expect(page.locator('[data-metric="crdt_lost"] .value')).toBeVisible();
}
const value = async (page, key) => (await page.locator(`[data-metric="${key}"] .value`).first().innerText()).trim();

test('conflict-resolution: losses, conflicts and the truth on screen match the core', async ({ page }) => {
  const problems = watchConsole(page);
  await page.goto(`/widget/${slug}`);
  await ready(page);
  const r = JSON.parse(runCli(['run', slug])).report;
  const s = (k) => r.strategies.find((x) => x.key === k);
  expect((await page.locator('[data-metric="truth_likes"]').innerText()).trim()).toBe(String(r.truth_likes));
  expect(await value(page, 'lww_lost')).toBe(String(s('lww').likes_lost));
  expect(await value(page, 'lww_inverted')).toBe(String(r.inverted_overwrites));
  expect(await value(page, 'conflicts')).toBe(String(r.conflicts));
  expect(await value(page, 'vclock_lost')).toBe(String(s('vclock').likes_lost));
  expect(await value(page, 'crdt_lost')).toBe('0');
  expect(await value(page, 'converged')).toBe('3 of 3');
  // theory: the PN-Counter equals incs − decs at every replica; LWW loses concurrent updates;
  // with synchronised clocks no older write ever wins
  expect(s('crdt').likes.every((x) => x === r.truth_likes)).toBe(true);
  expect(s('lww').likes_lost).toBeGreaterThan(0);
  expect(r.conflicts).toBeGreaterThan(0);
  expect(r.sweep.find((p) => p.skew_ms === 0).lww_inverted).toBe(0);
  await expect(page.locator('table.cr-table tbody tr')).toHaveCount(4);
  await expect(page.locator('canvas')).toHaveCount(2);
  await expect(page.locator('svg.cr-spacetime')).toBeVisible();
  expect(problems()).toEqual([]);
});

test('conflict-resolution: synchronising the clocks removes the inversions', async ({ page }) => {
  const problems = watchConsole(page);
  await page.goto(`/widget/${slug}`);
  await ready(page);
  expect(Number(await value(page, 'lww_inverted'))).toBeGreaterThan(0);
  const num = page.locator('.knob', { hasText: 'Clock skew of A' }).locator('input.num');
  await num.fill('0');
  await num.press('Enter');
  await expect(page).toHaveURL(/skew_ms=0/);
  await expect.poll(() => value(page, 'lww_inverted'), { timeout: 15_000 }).toBe('0');
  expect(await value(page, 'crdt_lost')).toBe('0');
  expect(problems()).toEqual([]);
});

test('conflict-resolution: the live history plays, and a replica crashes and restarts on click', async ({ page }) => {
  const problems = watchConsole(page);
  await page.goto(`/widget/${slug}`);
  await ready(page);
  const live = page.locator('section.live');
  await live.getByRole('button', { name: 'Step' }).click();
  await live.getByRole('button', { name: '▶ Play' }).click();
  await expect.poll(async () => page.locator('svg.cr-spacetime circle').count(), { timeout: 15_000 }).toBeGreaterThan(3);
  await live.getByRole('button', { name: 'Crash replica B' }).click();
  await expect(live.locator('.cr-card[data-replica="B"] .cr-state')).toHaveText('down');
  await live.getByRole('button', { name: 'Restart replica B' }).click();
  await expect(live.locator('.cr-card[data-replica="B"] .cr-state')).not.toHaveText('down');
  await live.getByRole('button', { name: 'Reset' }).click();
  // keyboard: a cut made at the start of the run shows at once
  await live.getByRole('button', { name: 'Cut off replica C' }).press('Enter');
  await expect(live.locator('.cr-card[data-replica="C"] .cr-state')).toHaveText('cut off');
  expect(problems()).toEqual([]);
});
