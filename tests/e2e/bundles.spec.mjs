// The release site is split into one wasm bundle per book page, one per widget of a page with
// several, and the summary's (scripts/build_bundles.py): each address loads the bundle it needs,
// a bundle really leaves the other pages' (and widgets') models out, links across bundles land
// on working pages, and a book page can script-embed widgets of two pages at once.
import { test, expect } from '@playwright/test';
import { watchConsole, widgets } from './helpers.mjs';

const BOOK = 'http://127.0.0.1:8094';
const bundle = (page) => page.evaluate(() => document.documentElement.dataset.bundle);
const run = (page, slug) => page.evaluate((slug) => {
  const out = window.wasmBindings.worker_handle({ id: 1, op: 'run', slug, pairs: [], seed: 1 });
  return JSON.parse(out.json);
}, slug);

test("every address loads its bundle: a page's, or a widget's own where its page has several", async ({ page }) => {
  const problems = watchConsole(page);
  const expected = [['/', '21'], ['/summary', 'summary'], ['/nowhere', '21'], ['/widget/nope', '21']];
  for (let n = 21; n <= 32; n++) expected.push([`/page/${n}`, String(n)]);
  const built = widgets.filter((w) => w.built);
  for (const w of built) {
    const alone = built.filter((o) => o.page === w.page).length === 1;
    const key = alone ? String(w.page) : w.slug;
    expected.push([`/widget/${w.slug}`, key], [`/embed/${w.slug}`, key]);
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

test("a widget's own bundle carries its model and none of its page's others", async ({ page }) => {
  const problems = watchConsole(page);
  for (const address of ['/widget/quorum', '/embed/quorum']) {
    await page.goto(address);
    await expect(page.locator('[data-slug="quorum"]')).toHaveAttribute('aria-busy', 'false');
    expect(await bundle(page)).toBe('quorum');
    expect((await run(page, 'quorum')).notices).toEqual([]);
    for (const other of ['raft-election', 'cache']) {
      const out = await run(page, other);
      expect(out.report, other).toBeNull();
      expect(out.notices[0].message).toContain('leaves the model out');
    }
  }
  // its breadcrumb to the page loads the page's bundle, where every widget of the page runs
  await page.goto('/widget/quorum');
  await page.locator('nav.crumbs a[href="/page/27"]').click();
  await expect(page.locator('[data-slug="raft-election"]')).toHaveAttribute('aria-busy', 'false');
  expect(await bundle(page)).toBe('27');
  // and from the page, a widget's heading opens it alone without a load: the page's bundle has it,
  // with the settings made on the page
  await page.evaluate(() => { window.stayed = true; });
  const n = page.locator('[data-slug="quorum"] .controls input[type=range][id$="-n"]');
  const before = Number(await n.inputValue());
  await n.press('ArrowRight');
  await expect(page).toHaveURL(new RegExp(`[?&]quorum\\.n=${before + 1}`));
  await expect(page.locator('[data-slug="quorum"] h2 a')).toHaveAttribute('href', `/widget/quorum?n=${before + 1}`);
  await page.locator('[data-slug="quorum"] h2 a').click();
  await expect(page).toHaveURL(new RegExp(`/widget/quorum\\?n=${before + 1}$`));
  await expect(page.locator('h1')).toHaveText('Quorums');
  await expect(page.locator('[data-slug="quorum"]')).toHaveAttribute('aria-busy', 'false');
  await expect(page.locator('[data-slug="quorum"] .controls input[type=range][id$="-n"]')).toHaveValue(String(before + 1));
  expect(await bundle(page)).toBe('27');
  expect(await page.evaluate(() => window.stayed)).toBe(true);
  const wasm = await page.evaluate(() => performance.getEntriesByType('resource').map((e) => e.name).filter((n) => n.endsWith('_bg.wasm')));
  expect(wasm.filter((n) => /pillars-lab-quorum-/.test(n))).toEqual([]);
  expect(problems()).toEqual([]);
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

test("a book page script-embeds widgets of two pages: two of one page from that page's bundle, one alone from its own", async ({ page }) => {
  const problems = watchConsole(page);
  await page.goto(`${BOOK}/mixed/`);
  const cache = page.locator('[data-widget="cache"]');
  const quorum = page.locator('[data-widget="quorum"]');
  const lag = page.locator('[data-widget="replication-lag"]');
  await expect(cache.locator('#w-cache-cache_size')).toHaveAttribute('aria-valuetext', '50 entries');
  await expect(quorum.locator('#w-quorum-n')).toHaveValue('5');
  for (const w of [cache, quorum, lag]) await expect(w.locator('[data-metric]').first()).toBeVisible();
  await expect(page.locator('[data-widget] .notice')).toHaveCount(0);
  const loaded = await page.evaluate(() => performance.getEntriesByType('resource').map((e) => e.name.split('/').pop())
    .filter((n) => n.endsWith('_bg.wasm')).map((n) => n.replace(/^pillars-lab-|-[0-9a-f]{16}_bg\.wasm$/g, '')).sort());
  expect(loaded).toEqual(['25', 'quorum']);
  // each shadow root has the shell's styles and its bundle's widgets' styles, both applied
  const sheets = (slug) => page.evaluate((slug) => [...document.querySelector(`[data-widget="${slug}"]`).shadowRoot.styleSheets]
    .map((s) => s.href.split('/').pop()), slug);
  expect(await sheets('cache')).toEqual([expect.stringMatching(/^style-shell-/), expect.stringMatching(/^style-25-/)]);
  expect(await sheets('replication-lag')).toEqual([expect.stringMatching(/^style-shell-/), expect.stringMatching(/^style-25-/)]);
  expect(await sheets('quorum')).toEqual([expect.stringMatching(/^style-shell-/), expect.stringMatching(/^style-quorum-/)]);
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

test("resting on a link fetches only what a reload would need: nothing the running bundle shows, a lone widget's own bundle", async ({ page }) => {
  const problems = watchConsole(page);
  const fetched = [];
  page.on('request', (r) => fetched.push(r.url()));
  await page.goto('/page/27');
  await expect(page.locator('[data-slug="quorum"]')).toHaveAttribute('aria-busy', 'false');
  // page 27's bundle opens its quorum widget in place: no bundle to fetch
  await page.locator('[data-slug="quorum"] h2 a').hover();
  await page.waitForTimeout(300);
  expect(fetched.filter((u) => /pillars-lab-(quorum|21)-/.test(u)), fetched.join(' ')).toEqual([]);
  // the contents page's link to a widget of page 25 leads to that widget's own bundle
  await page.goto('/');
  await page.locator('a[href="/widget/cache"]').first().hover();
  await expect.poll(() => fetched.filter((u) => /pillars-lab-cache-[0-9a-f]+(_bg\.wasm|\.js)$/.test(u)).length).toBe(2);
  expect(fetched.some((u) => /pillars-lab-25-/.test(u)), fetched.join(' ')).toBe(false);
  expect(problems()).toEqual([]);
});
