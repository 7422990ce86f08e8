// The widgets inside a real MkDocs-Material book served from another origin (tests/book):
// script embeds and iframes, instant navigation, the palette switch, and untrusted messages.
import { test, expect } from '@playwright/test';
import path from 'node:path';
import { watchConsole, root } from './helpers.mjs';

const BOOK = 'http://127.0.0.1:8094';
const shots = path.join(root, 'test-results/shots');

test('script embed and iframe both mount and run in a book page from another origin', async ({ page }) => {
  const problems = watchConsole(page);
  await page.goto(`${BOOK}/`);
  // script embed: the knobs came from data-* attributes (⌈200 × 0.05 / 0.7⌉ = 15)
  const host = page.locator('[data-widget="autoscaling-calculator"]');
  await expect(host.locator('[data-metric="formula_instances"]')).toHaveText('15');
  await expect(host.locator('#w-autoscaling-calculator-seed')).toHaveValue('3');
  await expect(host.locator('.notice')).toHaveCount(0);
  await expect(host.getByRole('link', { name: 'Open in Pillars Lab ↗' })).toHaveAttribute('href', /^http:\/\/127\.0\.0\.1:8091\/widget\/autoscaling-calculator\?arrival_rate=200/);
  // the book's content column is narrow: one column, nothing cut off
  const overflow = await host.locator('.view').evaluate((v) => v.scrollWidth - v.clientWidth);
  expect(overflow).toBeLessThanOrEqual(1);
  // ...and it runs: a control changes a number
  const num = host.locator('.knob', { hasText: 'Target utilisation' }).locator('input.num');
  await num.fill('50');
  await num.press('Enter');
  await expect(host.locator('[data-metric="formula_instances"]')).toHaveText('20');
  // iframe: mounts, and grows from its 300 px to fit its content
  const frameEl = page.locator('iframe[data-pillars-lab]');
  await frameEl.scrollIntoViewIfNeeded();
  const frame = page.frameLocator('iframe[data-pillars-lab]');
  await expect(frame.locator('#w-consistent-hashing-nodes')).toHaveValue('4');
  await expect(frame.locator('[data-metric="max_over_mean"] .value')).toBeVisible();
  await expect.poll(async () => (await frameEl.boundingBox()).height, { timeout: 10_000 }).toBeGreaterThan(600);
  await page.screenshot({ path: path.join(shots, 'book-embeds.png'), fullPage: true });
  expect(problems()).toEqual([]);
});

test('instant navigation remounts cleanly: old widgets destroyed, new ones mounted, no errors', async ({ page }) => {
  const problems = watchConsole(page);
  await page.goto(`${BOOK}/`);
  await expect(page.locator('[data-widget="autoscaling-calculator"] [data-metric="formula_instances"]')).toHaveText('15', { timeout: 20_000 });
  expect(await page.evaluate(() => document.documentElement.hasAttribute('data-runner')), 'the host page is left alone').toBe(false);
  // let the lazy iframe load and take its height before clicking below it (it moves the link)
  const frameEl = page.locator('iframe[data-pillars-lab]');
  await frameEl.scrollIntoViewIfNeeded();
  await expect.poll(async () => (await frameEl.boundingBox()).height, { timeout: 10_000 }).toBeGreaterThan(600);
  await page.evaluate(() => { window.__samePage = true; });
  await page.getByRole('link', { name: 'On to state' }).click();
  await expect(page).toHaveURL(/state\/?$/);
  expect(await page.evaluate(() => window.__samePage), 'instant navigation, not a reload').toBe(true);
  // each page's widgets come from its own bundle, fetched and compiled on arrival: on a loaded
  // machine (two test workers, each with a browser) that can take longer than expect's 5 s
  const load = { timeout: 20_000 };
  await expect(page.locator('[data-widget="consistent-hashing"]').first().locator('#w-consistent-hashing-nodes')).toHaveValue('5', load);
  await expect(page.locator('[data-widget="consistent-hashing"]').nth(1).locator('#w-consistent-hashing-placement')).toHaveValue('jump', load);
  await expect.poll(() => page.evaluate(() => window.PillarsLab.mounted()), load).toBe(2);
  await page.getByRole('link', { name: 'Back to work' }).click();
  await expect(page.locator('[data-widget="autoscaling-calculator"] [data-metric="formula_instances"]')).toHaveText('15', load);
  await expect.poll(() => page.evaluate(() => window.PillarsLab.mounted()), load).toBe(1);
  expect(await page.evaluate(() => window.__samePage)).toBe(true);
  expect(problems()).toEqual([]);
});

test('an iframe pauses its animation while scrolled off screen, and resumes', async ({ page }) => {
  const problems = watchConsole(page);
  await page.setViewportSize({ width: 1280, height: 800 });
  // Chromium already stops animation frames in off-screen cross-origin frames; with reduced
  // motion the player ticks on a timer instead, which only our own pause logic stops
  await page.emulateMedia({ reducedMotion: 'reduce' });
  await page.goto(`${BOOK}/state/`);
  const frameEl = page.locator('#queue-frame');
  await frameEl.scrollIntoViewIfNeeded();
  const frame = page.frameLocator('#queue-frame');
  const status = frame.locator('.player .status');
  await expect(status).toContainText('0 arrived');
  const play = frame.getByRole('button', { name: '▶ Play' });
  await play.scrollIntoViewIfNeeded();
  await play.click();
  const simTime = async () => Number((await status.innerText()).match(/t = ([\d.]+) s/)[1]);
  await expect.poll(simTime, { timeout: 10_000 }).toBeGreaterThan(0.05);
  // scroll the frame out of view: simulated time stops
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.waitForTimeout(400);
  const t1 = await simTime();
  await page.waitForTimeout(1200);
  expect(await simTime(), 'no progress while off screen').toBe(t1);
  // and back: it runs again
  await frameEl.scrollIntoViewIfNeeded();
  await expect.poll(simTime, { timeout: 10_000 }).toBeGreaterThan(t1);
  expect(problems()).toEqual([]);
});

test('the book’s palette toggle restyles script embeds and iframes', async ({ page }) => {
  const problems = watchConsole(page);
  await page.emulateMedia({ colorScheme: 'light' });
  await page.goto(`${BOOK}/`);
  const rootEl = page.locator('[data-widget="autoscaling-calculator"] .pl-root');
  await expect(rootEl).toHaveAttribute('data-theme', 'light');
  const frame = page.frameLocator('iframe[data-pillars-lab]');
  await expect(frame.locator('[data-metric]').first()).toBeVisible();
  await page.locator('label[title="Switch to dark mode"]').click();
  await expect(page.locator('body')).toHaveAttribute('data-md-color-scheme', 'slate');
  await expect(rootEl).toHaveAttribute('data-theme', 'dark');
  await expect(frame.locator('html')).toHaveAttribute('data-theme', 'dark');
  await page.screenshot({ path: path.join(shots, 'book-embeds-dark.png'), fullPage: true });
  await page.locator('label[title="Switch to light mode"]').click();
  await expect(rootEl).toHaveAttribute('data-theme', 'light');
  await expect(frame.locator('html')).toHaveAttribute('data-theme', 'light');
  expect(problems()).toEqual([]);
});

test('messages of the wrong origin, source or shape are ignored on both sides', async ({ page }) => {
  await page.goto(`${BOOK}/`);
  const frameEl = page.locator('iframe[data-pillars-lab]');
  await frameEl.scrollIntoViewIfNeeded();
  const frame = page.frameLocator('iframe[data-pillars-lab]');
  await expect(frame.locator('[data-metric]').first()).toBeVisible();
  await expect.poll(async () => (await frameEl.boundingBox()).height).toBeGreaterThan(600);
  const before = (await frameEl.boundingBox()).height;
  // host side: a resize claimed by the book's own origin, and a malformed one from the frame
  await page.evaluate(() => window.postMessage({ type: 'pillars-lab:size', height: 7 }, '*'));
  const inner = page.frames().find((f) => f.url().includes('/embed/consistent-hashing'));
  await inner.evaluate(() => parent.postMessage({ type: 'pillars-lab:size', height: 'tall' }, '*'));
  await inner.evaluate(() => parent.postMessage({ type: 'something-else', height: 9 }, '*'));
  await page.waitForTimeout(300);
  expect((await frameEl.boundingBox()).height).toBe(before);
  // embed side: a theme message that is not from the parent, and one of the wrong shape
  await expect(frame.locator('html')).toHaveAttribute('data-theme', 'light');
  await inner.evaluate(() => window.postMessage({ type: 'pillars-lab:theme', theme: 'dark' }, '*'));
  await page.evaluate(() => document.querySelector('iframe[data-pillars-lab]').contentWindow.postMessage({ type: 'pillars-lab:theme', theme: 'purple' }, '*'));
  await page.waitForTimeout(300);
  await expect(frame.locator('html')).toHaveAttribute('data-theme', 'light');
  // while the parent's well-formed message is obeyed
  await page.evaluate(() => document.querySelector('iframe[data-pillars-lab]').contentWindow.postMessage({ type: 'pillars-lab:theme', theme: 'dark' }, 'http://127.0.0.1:8091'));
  await expect(frame.locator('html')).toHaveAttribute('data-theme', 'dark');
});

test('"Embed this" offers both snippets with the current knobs', async ({ page, context }) => {
  await page.goto('/widget/consistent-hashing?nodes=6&seed=12');
  await page.getByText('Embed this').click();
  const iframe = await page.locator('#consistent-hashing-embed-iframe').inputValue();
  expect(iframe).toContain('src="http://127.0.0.1:8091/embed/consistent-hashing?nodes=6&amp;seed=12"'.replace('&amp;', '&'));
  expect(iframe).toContain('data-pillars-lab');
  expect(iframe).toContain('<script src="http://127.0.0.1:8091/embed.js" defer></script>');
  const script = await page.locator('#consistent-hashing-embed-script').inputValue();
  expect(script).toContain('<div data-widget="consistent-hashing" data-nodes="6" data-seed="12"></div>');
  // the iframe URL really shows that run
  const src = iframe.match(/src="([^"]+)"/)[1];
  const embed = await context.newPage();
  await embed.goto(src);
  await expect(embed.locator('#w-consistent-hashing-nodes')).toHaveValue('6');
  await expect(embed.locator('.site-head')).toHaveCount(0);
});
