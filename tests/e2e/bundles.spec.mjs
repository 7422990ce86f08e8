// The release site is split into one wasm bundle per book page plus the summary's
// (scripts/build_bundles.py): each address loads the bundle it needs, a bundle really leaves
// the other pages' models out, links across bundles land on working pages, and a book page can
// script-embed widgets of two pages at once.
import { test, expect } from '@playwright/test';
import { watchConsole, widgets } from './helpers.mjs';

const BOOK = 'http://127.0.0.1:8094';
const bundle = (page) => page.evaluate(() => document.documentElement.dataset.bundle);
const run = (page, slug) => page.evaluate((slug) => {
  const out = window.wasmBindings.worker_handle({ id: 1, op: 'run', slug, pairs: [], seed: 1 });
  return JSON.parse(out.json);
}, slug);

test('every address loads the bundle of its page', async ({ page }) => {
  const problems = watchConsole(page);
  const expected = [['/', '21'], ['/summary', 'summary'], ['/nowhere', '21'], ['/widget/nope', '21']];
  for (let n = 21; n <= 32; n++) expected.push([`/page/${n}`, String(n)]);
  for (const w of widgets.filter((w) => w.built)) {
    expected.push([`/widget/${w.slug}`, String(w.page)], [`/embed/${w.slug}`, String(w.page)]);
  }
  for (const [address, key] of expected) {
    await page.goto(address);
    await page.waitForFunction(() => window.wasmBindings);
    expect(await bundle(page), address).toBe(key);
  }
  expect(problems()).toEqual([]);
});

test("a page's bundle carries its own models only; the summary's carries them all", async ({ page }) => {
  await page.goto('/page/25');
  await page.waitForFunction(() => window.wasmBindings);
  const own = await run(page, 'cache');
  expect(own.notices).toEqual([]);
  expect(own.report.curve.length).toBeGreaterThan(0);
  const other = await run(page, 'quorum');
  expect(other.report).toBeNull();
  expect(other.notices[0].message).toContain('leaves the model out');
  await page.goto('/summary');
  await page.waitForFunction(() => window.wasmBindings);
  for (const slug of ['cache', 'quorum', 'pid-autoscaler']) expect((await run(page, slug)).notices).toEqual([]);
});

test('links across bundles land on working pages, forward and back', async ({ page }) => {
  const problems = watchConsole(page);
  await page.goto('/page/25');
  await expect(page.locator('[data-slug="cache"]')).toHaveAttribute('aria-busy', 'false');
  await page.locator('nav.page-nav a[href="/page/27"]').click();
  await expect(page).toHaveURL(/\/page\/27$/);
  await expect(page.locator('[data-slug="quorum"]')).toHaveAttribute('aria-busy', 'false');
  expect(await bundle(page)).toBe('27');
  await page.goBack();
  await expect(page.locator('[data-slug="cache"]')).toHaveAttribute('aria-busy', 'false');
  expect(await bundle(page)).toBe('25');
  // the same cross-bundle link twice in a row is not taken for a reload loop
  await page.goto('/page/27');
  await page.locator('nav.page-nav a[href="/page/25"]').click();
  await expect(page.locator('[data-slug="cache"]')).toHaveAttribute('aria-busy', 'false');
  await page.locator('nav.page-nav a[href="/page/27"]').click();
  await expect(page.locator('[data-slug="quorum"]')).toHaveAttribute('aria-busy', 'false');
  await page.locator('nav.page-nav a[href="/page/25"]').click();
  await expect(page.locator('[data-slug="cache"]')).toHaveAttribute('aria-busy', 'false');
  await expect(page.locator('[role="alert"]')).toHaveCount(0);
  expect(problems()).toEqual([]);
});

test('a book page script-embeds widgets of two pages, each from its own bundle', async ({ page }) => {
  const problems = watchConsole(page);
  await page.goto(`${BOOK}/mixed/`);
  const cache = page.locator('[data-widget="cache"]');
  const quorum = page.locator('[data-widget="quorum"]');
  await expect(cache.locator('#w-cache-cache_size')).toHaveAttribute('aria-valuetext', '50 entries');
  await expect(quorum.locator('#w-quorum-n')).toHaveValue('5');
  await expect(cache.locator('[data-metric]').first()).toBeVisible();
  await expect(quorum.locator('[data-metric]').first()).toBeVisible();
  await expect(page.locator('[data-widget] .notice')).toHaveCount(0);
  const loaded = await page.evaluate(() => performance.getEntriesByType('resource').map((e) => e.name).filter((n) => n.endsWith('_bg.wasm')));
  expect(loaded.some((n) => /pillars-lab-25-/.test(n)), loaded.join(' ')).toBe(true);
  expect(loaded.some((n) => /pillars-lab-27-/.test(n)), loaded.join(' ')).toBe(true);
  // each shadow root has the shell's styles and its own page's widgets' styles, both applied
  const sheets = (slug) => page.evaluate((slug) => [...document.querySelector(`[data-widget="${slug}"]`).shadowRoot.styleSheets]
    .map((s) => s.href.split('/').pop()), slug);
  expect(await sheets('cache')).toEqual([expect.stringMatching(/^style-shell-/), expect.stringMatching(/^style-25-/)]);
  expect(await sheets('quorum')).toEqual([expect.stringMatching(/^style-shell-/), expect.stringMatching(/^style-27-/)]);
  expect(problems()).toEqual([]);
});

test("an address loads the shell's styles and its own page's widget styles, no other page's", async ({ page }) => {
  const problems = watchConsole(page);
  const sheets = () => page.evaluate(() => [...document.styleSheets].map((s) => s.href.split('/').pop()).sort());
  await page.goto('/page/24');
  await expect(page.locator('[data-slug="work-stealing"]')).toHaveAttribute('aria-busy', 'false');
  expect(await sheets()).toEqual([expect.stringMatching(/^style-24-/), expect.stringMatching(/^style-shell-/)]);
  // work-stealing's own rule (in style-24) is in force: its legend is a flex row, not a list
  await expect(page.locator('.ws-legend').first()).toHaveCSS('display', 'flex');
  // the shell's rules too
  await expect(page.locator('.page-nav')).toHaveCSS('display', 'flex');
  await page.goto('/summary');
  await expect(page.locator('.tk-row').first()).toHaveCSS('display', 'grid');
  expect(await sheets()).toEqual([expect.stringMatching(/^style-shell-/), expect.stringMatching(/^style-summary-/)]);
  expect(problems()).toEqual([]);
});

test("on a phone, the current page's number is in view after a link loads another bundle", async ({ page }) => {
  await page.setViewportSize({ width: 360, height: 700 });
  await page.goto('/page/22');
  await page.locator('nav.page-nav a[href="/page/31"]').click();
  await expect(page.locator('[data-slug="anomaly-detection"]')).toHaveAttribute('aria-busy', 'false');
  const nav = await page.locator('nav.page-nav').boundingBox();
  const active = await page.locator('nav.page-nav a.active').boundingBox();
  expect(active.x).toBeGreaterThanOrEqual(nav.x);
  expect(active.x + active.width).toBeLessThanOrEqual(nav.x + nav.width + 0.5);
});

test("resting on a link to another bundle's page fetches that bundle, and the reload takes it from the cache", async ({ page }) => {
  const problems = watchConsole(page);
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  const url = new Map(), cached = new Set(), fetched = [], finished = new Set();
  cdp.on('Network.loadingFinished', (e) => finished.add(url.get(e.requestId)));
  cdp.on('Network.requestWillBeSent', (e) => { url.set(e.requestId, e.request.url); fetched.push(e.request.url); });
  cdp.on('Network.requestServedFromCache', (e) => cached.add(url.get(e.requestId)));
  cdp.on('Network.responseReceived', (e) => {
    if (e.response.fromDiskCache || e.response.fromPrefetchCache) cached.add(e.response.url);
  });
  await page.goto('/page/21');
  await expect(page.locator('[data-slug="pillar-map"]')).toHaveAttribute('aria-busy', 'false');
  const is27 = (u) => /pillars-lab-27-[0-9a-f]+(_bg\.wasm|\.js)$/.test(u);
  // a pointer passing over a link (in and out at once) fetches nothing
  await page.locator('nav.page-nav a[href="/page/22"]').evaluate((a) => {
    a.dispatchEvent(new PointerEvent('pointerover', { bubbles: true }));
    a.dispatchEvent(new PointerEvent('pointerout', { bubbles: true }));
  });
  await page.waitForTimeout(300);
  expect(fetched.some((u) => /pillars-lab-22-/.test(u)), fetched.join(' ')).toBe(false);
  // resting on page 27's link fetches its glue and wasm
  await page.locator('nav.page-nav a[href="/page/27"]').hover();
  await expect.poll(() => fetched.filter(is27).length).toBe(2);
  // (a reload while the prefetch is still in flight would fetch again)
  await expect.poll(() => fetched.filter(is27).every((u) => finished.has(u))).toBe(true);
  await expect(page.locator('link[rel=prefetch][href*="style-27-"]')).toHaveCount(1);
  // its own bundle is never prefetched again
  await page.locator('nav.page-nav a[href="/page/21"]').hover();
  await page.waitForTimeout(200);
  expect(fetched.filter((u) => /pillars-lab-21-/.test(u) && u.includes('_bg.wasm'))).toHaveLength(1);
  await page.locator('nav.page-nav a[href="/page/27"]').click();
  await expect(page.locator('[data-slug="quorum"]')).toHaveAttribute('aria-busy', 'false');
  expect(await bundle(page)).toBe('27');
  const wasm27 = [...new Set(fetched.filter((u) => is27(u) && u.endsWith('_bg.wasm')))];
  expect(wasm27).toHaveLength(1);
  expect(cached.has(wasm27[0]), [...cached].join(' ')).toBe(true);
  expect(problems()).toEqual([]);
});
