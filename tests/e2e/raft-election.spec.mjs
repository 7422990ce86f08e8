// raft-election (book page 27): the batch's reference numbers on screen, a control that moves
// them (§9.3: no randomness → split votes), live faults by keyboard, zero console errors.
import { test, expect } from '@playwright/test';
import { runCli, watchConsole, metricText } from './helpers.mjs';

const slug = 'raft-election';
const msText = (x) => (x >= 10000 ? `${(x / 1000).toPrecision(3)} s` : `${x >= 100 ? Math.round(x) : x.toFixed(1)} ms`);

async function ready(page) {
  await expect(page.locator(`[data-slug="${slug}"]`)).toHaveAttribute('aria-busy', 'false');
  await expect(page.locator('[data-metric="election_p50"] .value')).toBeVisible();
}

test('raft-election: the batch matches the CLI and the paper; no randomness slows elections', async ({ page }) => {
  const problems = watchConsole(page);
  await page.goto(`/widget/${slug}`);
  await ready(page);
  const cli = JSON.parse(runCli(['run', slug])).report;
  // what the page shows is what the native core computes
  expect(await metricText(page, 'election_p50')).toContain(msText(cli.batch.p50_ms));
  expect(await metricText(page, 'election_p99')).toContain(msText(cli.batch.p99_ms));
  // 150–300 ms timeouts: fast elections (Ongaro & Ousterhout 2014, §9.3)
  expect(cli.batch.p50_ms).toBeGreaterThan(150);
  expect(cli.batch.p50_ms).toBeLessThan(260);
  expect(await metricText(page, 'safety')).toContain('0');
  await expect(page.locator('[data-metric="live_safety"] .value')).toHaveText('holds');
  await expect(page.locator('canvas')).toHaveCount(1);
  // identical timeouts: split votes, no leader within 10 s
  await page.getByRole('button', { name: 'No randomness: 150–150' }).click();
  await expect(page).toHaveURL(/timeout_max=150/);
  await expect(page.locator('[data-metric="election_p50"] .value')).toHaveText('> 10 s');
  expect(problems()).toEqual([]);
});

test('raft-election: servers crash and restart from the keyboard while it plays', async ({ page }) => {
  const problems = watchConsole(page);
  await page.goto(`/widget/${slug}`);
  await ready(page);
  await page.getByRole('button', { name: '▶ Play' }).first().click();
  const s1 = page.locator('g.raft-node').first();
  await expect(s1).toHaveAttribute('aria-label', /^Server 1: (follower|candidate|leader)/);
  await s1.focus();
  await page.keyboard.press('Enter');
  await expect(s1).toHaveAttribute('aria-label', /^Server 1: crashed/);
  await page.keyboard.press('Enter');
  await expect(s1).toHaveAttribute('aria-label', /^Server 1: (follower|candidate|leader)/);
  await page.getByRole('button', { name: 'isolate' }).nth(1).click();
  await page.getByRole('button', { name: 'heal all links' }).click();
  await expect(page.locator('[data-metric="live_safety"] .value')).toHaveText('holds');
  expect(problems()).toEqual([]);
});
