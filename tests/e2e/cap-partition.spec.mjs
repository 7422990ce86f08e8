// cap-partition (book page 27): the CAP numbers on screen, a control, the live cluster with faults.
import { test, expect } from '@playwright/test';
import { runCli, watchConsole, metricText } from './helpers.mjs';

const slug = 'cap-partition';
const pctText = (x, d) => `${(x * 100).toFixed(d)}\u00a0%`;

async function ready(page) {
  await expect(page.locator(`[data-slug="${slug}"]`)).toHaveAttribute('aria-busy', 'false');
  await expect(page.locator('[data-metric="avail_left"] .value')).toBeVisible();
}
const value = async (page, key) => (await page.locator(`[data-metric="${key}"] .value`).first().innerText()).trim();

test('cap-partition: CP on a 2 | 3 split answers 0 % on the minority and 100 % on the majority, as the core says', async ({ page }) => {
  const problems = watchConsole(page);
  await page.goto(`/widget/${slug}`);
  await ready(page);
  const r = JSON.parse(runCli(['run', slug])).report;
  // theory (and the core) for the book's picture
  expect(r.split_label).toBe('AB|CDE');
  expect([r.theory_left, r.theory_right]).toEqual([0, 1]);
  expect([r.avail_left, r.avail_right]).toEqual([0, 1]);
  expect(await value(page, 'avail_left')).toBe(pctText(0, 1));
  expect(await value(page, 'avail_right')).toBe(pctText(1, 1));
  expect(await value(page, 'lost_updates')).toBe('0');
  expect(await value(page, 'converged')).toBe('yes');
  // the same workload under AP: both sides answer, last write wins loses posts, siblings do not
  const [cp, lww, sib] = r.compare;
  expect([lww.avail_left, lww.avail_right]).toEqual([1, 1]);
  expect(lww.lost_updates).toBeGreaterThan(0);
  expect(sib.lost_updates).toBe(0);
  expect(sib.conflicts).toBeGreaterThan(0);
  expect(cp.lost_updates).toBe(0);
  await expect(page.locator('table.cap-table tbody tr')).toHaveCount(3);
  await expect(page.locator('table.cap-table tr.cap-sel')).toContainText('CP');
  await expect(page.locator('canvas')).toHaveCount(2);
  expect(problems()).toEqual([]);
});

test('cap-partition: switching to AP makes both sides available and the incident replays', async ({ page }) => {
  const problems = watchConsole(page);
  await page.goto(`/widget/${slug}`);
  await ready(page);
  await page.locator(`#w-${slug}-mode`).selectOption('ap');
  await expect(page).toHaveURL(/mode=ap/);
  await expect.poll(() => value(page, 'avail_left'), { timeout: 15_000 }).toBe(pctText(1, 1));
  const r = JSON.parse(runCli(['run', slug, '--set', 'mode=ap'])).report;
  expect(await value(page, 'lost_updates')).toBe(String(r.lost_updates));
  await page.getByRole('button', { name: /Replay the incident/ }).click();
  await expect(page).toHaveURL(/split=3/);
  await ready(page);
  await expect.poll(() => metricText(page, 'avail_right'), { timeout: 15_000 }).toContain(pctText(1, 1));
  expect(problems()).toEqual([]);
});

test('cap-partition: the live cluster plays, a replica crashes on click and the cut toggles', async ({ page }) => {
  const problems = watchConsole(page);
  await page.goto(`/widget/${slug}`);
  await ready(page);
  const live = page.locator('.live');
  await live.locator('select').selectOption('5');
  await live.getByRole('button', { name: '▶ Play' }).click();
  await expect.poll(async () => Number((await live.locator('.player .status').innerText()).match(/t = ([\d.]+)/)[1]), { timeout: 10_000 }).toBeGreaterThan(3);
  const a = live.getByRole('button', { name: /^Replica A/ });
  await a.focus();
  await page.keyboard.press('Enter');
  await expect(live.getByRole('button', { name: /^Replica A, .*restart$/ })).toBeVisible();
  await live.getByRole('button', { name: 'Cut the network now' }).click();
  await expect(live.getByRole('button', { name: 'Heal the network now' })).toBeVisible();
  await live.getByRole('button', { name: 'Move replica C across the cut' }).click();
  await live.getByRole('button', { name: '❚❚ Pause' }).click();
  expect(problems()).toEqual([]);
});
