// work-stealing (book page 24): the book's 16∶4∶2∶0 scenario, its step-through, a control, the
// book's 1000-task claim, and the browser's report = the CLI's, byte for byte.
import { test, expect } from '@playwright/test';
import { runCli, watchConsole, metricText } from './helpers.mjs';

const slug = 'work-stealing';
const section = (page) => page.locator(`[data-slug="${slug}"]`);
const value = (page, key) => section(page).locator(`[data-metric="${key}"] .value`);

test('work-stealing reproduces the book: 16 units without stealing, 6 with', async ({ page }) => {
  const problems = watchConsole(page);
  await page.goto(`/widget/${slug}`);
  await expect(section(page)).toHaveAttribute('aria-busy', 'false');
  await expect(value(page, 'makespan')).toHaveText('6 ms');
  expect(await metricText(page, 'makespan')).toContain('without stealing 16 ms');
  await expect(value(page, 'lower_bound')).toHaveText('5.5 ms');
  expect(await metricText(page, 'lower_bound')).toContain('⌈22÷4⌉ × 1 = 6 ms');
  await expect(value(page, 'efficiency')).toHaveText('91.7\u00a0%');
  await expect(value(page, 'speedup')).toHaveText('2.67×');
  expect(problems()).toEqual([]);
});

test('work-stealing steps through the book scenario event by event', async ({ page }) => {
  const problems = watchConsole(page);
  await page.goto(`/widget/${slug}`);
  const narration = page.getByTestId('narration');
  await expect(narration).toContainText('Before the start');
  const stepBtn = page.getByRole('button', { name: 'Step' });
  for (let i = 0; i < 4; i++) await stepBtn.click();
  await expect(narration).toHaveText('At 0 ms: W4 steals 8 tasks from W1.');
  await stepBtn.click();
  await expect(narration).toContainText('8 tasks land at W4');
  await page.getByRole('button', { name: '▶ Play' }).click();
  await expect(page.locator('.player .status')).toContainText('22 of 22 tasks done', { timeout: 20_000 });
  await expect(page.locator('.player .status')).toContainText('4 steals');
  // Play on the finished run plays it again from the start, to the same end
  await expect(page.getByRole('button', { name: '▶ Play' })).toBeVisible();
  await page.getByRole('button', { name: '▶ Play' }).click();
  await expect(page.locator('.player .status')).not.toContainText('22 of 22 tasks done');
  await expect(page.locator('.player .status')).toContainText('22 of 22 tasks done', { timeout: 20_000 });
  await expect(page.locator('.player .status')).toContainText('4 steals');
  expect(problems()).toEqual([]);
});

test('work-stealing: a steal cost changes the makespan', async ({ page }) => {
  const problems = watchConsole(page);
  await page.goto(`/widget/${slug}`);
  await expect(value(page, 'makespan')).toHaveText('6 ms');
  const num = section(page).locator('.knob', { hasText: 'Steal cost' }).locator('input.num');
  await num.fill('0.5');
  await num.press('Enter');
  await expect(page).toHaveURL(/steal_cost_ms=0.5/);
  await expect(value(page, 'makespan')).not.toHaveText('6 ms');
  await expect(section(page)).toHaveAttribute('aria-busy', 'false');
  expect(problems()).toEqual([]);
});

test('work-stealing measures the book’s 1000-task claim', async ({ page }) => {
  const problems = watchConsole(page);
  await page.goto(`/widget/${slug}`);
  const claim = page.getByTestId('claim');
  await expect(claim.locator('tr[data-placement]')).toHaveCount(5);
  // Zipf s = 1 is the start that gives about the book's 50 % without stealing
  const zipfEff = Number((await claim.locator('tr[data-placement="zipf"] td').nth(2).innerText()).replace(/[^\d.]/g, ''));
  expect(zipfEff).toBeGreaterThan(45);
  expect(zipfEff).toBeLessThan(58);
  const rrEff = Number((await claim.locator('tr[data-placement="round_robin"] td').nth(2).innerText()).replace(/[^\d.]/g, ''));
  expect(rrEff).toBeGreaterThan(88);
  await expect(page.getByTestId('claim-verdict')).toContainText('From an even start');
  expect(problems()).toEqual([]);
});

