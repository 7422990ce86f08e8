// The sweep: every page and every registered widget, as a reader would open them.
import { test, expect } from '@playwright/test';
import fs from 'node:fs';
import path from 'node:path';
import { widgets, watchConsole, root } from './helpers.mjs';

const shots = path.join(root, 'test-results/shots');
fs.mkdirSync(shots, { recursive: true });

test('the registry lists pages 21-32 with widgets', () => {
  const pages = new Set(widgets.map((w) => w.page));
  for (let p = 21; p <= 32; p++) expect(pages.has(p), `page ${p}`).toBeTruthy();
  expect(widgets.filter((w) => w.built).length).toBeGreaterThanOrEqual(2);
});

test('home shows the twelve pages in order, built widgets linked, planned ones marked', async ({ page }) => {
  const problems = watchConsole(page);
  await page.goto('/');
  await expect(page.locator('.card[data-page]')).toHaveCount(12); // allInnerTexts does not wait for rendering
  await expect(page.locator('.card:not([data-page]) a')).toHaveAttribute('href', '/summary');
  const kickers = await page.locator('.card[data-page] .kicker').allInnerTexts();
  expect(kickers.map((k) => Number(k.match(/PAGE (\d+)/i)[1]))).toEqual([21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32]);
  for (const w of widgets) {
    const item = page.locator('.widget-list li', { hasText: w.title }).first();
    if (w.built) await expect(item.locator('a')).toHaveAttribute('href', `/widget/${w.slug}`);
    else await expect(item.locator('.badge')).toHaveText('planned');
  }
  await page.screenshot({ path: path.join(shots, 'home.png'), fullPage: true });
  expect(problems()).toEqual([]);
});

for (let p = 21; p <= 32; p++) {
  test(`book page ${p} loads cleanly with all its widgets`, async ({ page }) => {
    const problems = watchConsole(page);
    await page.goto(`/page/${p}`);
    const mine = widgets.filter((w) => w.page === p);
    await expect(page.locator('section.widget')).toHaveCount(mine.length);
    for (const w of mine.filter((w) => w.built)) {
      await expect(page.locator(`[data-slug="${w.slug}"] [data-metric] .value`).first()).toBeVisible();
    }
    expect(problems()).toEqual([]);
  });
}

for (const w of widgets) {
  test(`widget ${w.slug}: ${w.built ? 'loads, responds to a control, no console errors' : 'is shown as not built'}`, async ({ page }) => {
    const problems = watchConsole(page);
    await page.goto(`/widget/${w.slug}`);
    if (!w.built) {
      await expect(page.getByText('Not built yet')).toBeVisible();
      expect(problems()).toEqual([]);
      return;
    }
    const section = page.locator(`[data-slug="${w.slug}"]`);
    await expect(section.locator('[data-metric] .value').first()).toBeVisible();
    await expect(section).toHaveAttribute('aria-busy', 'false');
    const before = await section.locator('[data-metric]').allInnerTexts();
    // change the first numeric control through its exact-value box
    const num = section.locator('.controls input.num').first();
    const old = Number(await num.inputValue());
    const max = Number(await num.getAttribute('max'));
    await num.fill(String(old * 2 <= max ? old * 2 : Math.max(1, Math.floor(old / 2))));
    await num.press('Enter');
    await expect.poll(async () => (await section.locator('[data-metric]').allInnerTexts()).join('|'), { timeout: 15_000 })
      .not.toBe(before.join('|'));
    await expect(section).toHaveAttribute('aria-busy', 'false');
    await page.screenshot({ path: path.join(shots, `${w.slug}-1280-light.png`), fullPage: true });
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.setViewportSize({ width: 360, height: 780 });
    await page.waitForTimeout(300);
    await page.screenshot({ path: path.join(shots, `${w.slug}-360-dark.png`), fullPage: true });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow, 'no sideways scrolling at 360 px').toBeLessThanOrEqual(1);
    // a drawing scales down with its box; past a point it must scroll instead (.drawing-scroll),
    // or its labels become unreadable: the smallest text as rendered, in CSS px
    const smallest = await page.evaluate(() => {
      let min = { px: Infinity, text: '' };
      for (const t of document.querySelectorAll('svg.drawing text')) {
        const m = t.getScreenCTM();
        if (!m || !t.textContent.trim()) continue;
        const px = parseFloat(getComputedStyle(t).fontSize) * Math.hypot(m.a, m.b);
        if (px < min.px) min = { px, text: t.textContent.trim() };
      }
      return min;
    });
    expect(smallest.px, `drawing text "${smallest.text}" at 360 px`).toBeGreaterThanOrEqual(8.5);
    expect(problems()).toEqual([]);
  });
}

test('unknown pages and widgets get a message, not a blank', async ({ page }) => {
  const problems = watchConsole(page);
  await page.goto('/widget/does-not-exist');
  await expect(page.getByText('There is no widget called “does-not-exist”.')).toBeVisible();
  await page.goto('/page/99');
  await expect(page.getByRole('heading', { name: 'No such page' })).toBeVisible();
  await page.goto('/nowhere/at/all');
  await expect(page.getByRole('heading', { name: 'Page not found' })).toBeVisible();
  expect(problems()).toEqual([]);
});
