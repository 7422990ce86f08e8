// The summary page: every takeaway measured in the browser says exactly what the native CLI's
// `summary` says, every link opens its widget with the knobs and seed it measured, and the page
// is reachable from the navigation, the home page and page 32.
import { test, expect } from '@playwright/test';
import { runCli, watchConsole } from './helpers.mjs';

const rows = JSON.parse(runCli(['summary']));

test('summary: each finding in the browser is the CLI\'s, word for word', async ({ page }) => {
  const problems = watchConsole(page);
  await page.goto('/summary');
  await expect(page.locator('.tk-row')).toHaveCount(rows.length);
  for (const r of rows) {
    expect(r.finding, `${r.pillar}: ${r.error}`).toBeTruthy();
    const f = page.locator(`[data-finding="${r.pillar}"]`);
    await expect(f).toHaveText(r.finding.text);
  }
  await expect(page.locator('[aria-busy="true"]')).toHaveCount(0);
  expect(problems()).toEqual([]);
});

test('summary: a demo link opens the widget with the measured knobs and seed', async ({ page }) => {
  const problems = watchConsole(page);
  await page.goto('/summary');
  const partial = rows.flatMap((r) => r.links).find((l) => l.includes('r=1&w=1'));
  expect(partial).toBeTruthy();
  await page.locator(`.tk-links a[href="${partial}"]`).click();
  await expect(page).toHaveURL(/\/widget\/quorum\?/);
  await expect(page.locator('[data-slug="quorum"]')).toHaveAttribute('aria-busy', 'false');
  // every knob and the seed of the link are set (the app then rewrites the address in its
  // canonical form: knob order, a default seed left out)
  const query = new URL(partial, 'http://x').searchParams;
  expect(query.get('r')).toBe('1');
  for (const [k, v] of query) await expect(page.locator(`#w-quorum-${k}`)).toHaveValue(v);
  expect(problems()).toEqual([]);
});

test('summary: reachable from the navigation, the contents and page 32', async ({ page }) => {
  await page.goto('/');
  await page.getByRole('link', { name: 'From axioms to architecture' }).click();
  await expect(page).toHaveURL(/\/summary$/);
  // the link shows Σ and is named "Summary" for screen readers
  await expect(page.locator('.page-nav a.active')).toHaveAccessibleName('Summary', { timeout: 20_000 });
  await expect(page.locator('.page-nav a.active [aria-hidden="true"]')).toHaveText('Σ');
  await page.goto('/page/32');
  // click on a settled page: its widget's first run in, nothing re-rendering under the pointer
  await expect(page.locator('[data-slug="pid-autoscaler"]')).toHaveAttribute('aria-busy', 'false', { timeout: 20_000 });
  await page.getByRole('link', { name: /Summary: from axioms to architecture/ }).click();
  // the summary lives in its own bundle, the largest: the click reloads the address to fetch
  // it, which on a busy machine (two test workers, CLI runs beside) can take a few seconds
  await expect(page).toHaveURL(/\/summary$/);
  await expect(page.locator('h1')).toHaveText('From axioms to architecture', { timeout: 20_000 });
});
