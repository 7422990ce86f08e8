// Release boot script (scripts/trunk_post_build.py fills in the maps): load the bundle this
// address needs. The release site has one wasm bundle per book page, one per widget of a page
// with several (keyed by its slug) and one for the summary (scripts/build_bundles.py);
// `trunk serve` builds one bundle for everything and boots with Trunk's own script instead.
const BUNDLES = __BUNDLES__; // key -> [glue, wasm]
const BUNDLE_OF = __PAGE_OF__; // widget slug -> its page's key
const PAGE_CSS = __PAGE_CSS__; // key -> the stylesheet of that bundle's widgets (index.html links the shell's)
// The bundle an address needs. With `current`, the bundle running now: it is kept when it
// carries the address (as src/chrome/bundle.rs decides in the app), so no link is prefetched
// that the app follows without a reload.
function bundleOf(pathname, current) {
  const path = pathname.replace(/\/+$/, '');
  let m;
  if ((m = path.match(/^\/page\/(\d+)$/)) && BUNDLES[m[1]]) return m[1];
  if ((m = path.match(/^\/(?:widget|embed)\/([^/]+)$/)) && BUNDLES[BUNDLE_OF[m[1]]]) {
    const [slug, page] = [m[1], BUNDLE_OF[m[1]]];
    if (current === page || current === slug) return current;
    // a widget alone: its own bundle, without its page's other widgets
    return BUNDLES[slug] ? slug : page;
  }
  if (path === '/summary') return 'summary';
  // the home page and unknown addresses: every bundle shows them
  return current ?? __DEFAULT__;
}
const key = bundleOf(location.pathname);
const [glue, wasm] = BUNDLES[key].map((f) => new URL(f, document.baseURI).href);
document.documentElement.dataset.bundle = key;
// the app finds its glue by this link (to start its worker on the same code)
const link = document.createElement('link');
link.rel = 'modulepreload';
link.href = glue;
document.head.append(link);
const response = fetch(wasm); // in parallel with the glue
// the page's widgets' styles, loaded before the app starts so nothing is drawn unstyled
let styled = Promise.resolve();
if (PAGE_CSS[key]) {
  const css = document.createElement('link');
  css.rel = 'stylesheet';
  css.href = new URL(PAGE_CSS[key], document.baseURI).href;
  styled = new Promise((done) => { css.onload = css.onerror = done; });
  document.head.append(css);
}
const bindings = await import(glue);
await styled;
const instance = await bindings.default({ module_or_path: response });
window.wasmBindings = bindings;
dispatchEvent(new CustomEvent('TrunkApplicationStarted', { detail: { wasm: instance } }));

// A link to a page of another bundle reloads the page there (src/chrome/bundle.rs). Fetch that
// bundle as soon as the reader shows intent — a pointer resting on the link, keyboard focus, a
// touch — so the reload finds it in the cache. Never for the bundle already running, and once each.
const fetched = new Set([key]);
function prefetch(a) {
  if (!a || a.origin !== location.origin) return;
  const next = bundleOf(a.pathname, key);
  if (fetched.has(next)) return;
  fetched.add(next);
  for (const f of [...BUNDLES[next], PAGE_CSS[next]].filter(Boolean)) {
    const hint = document.createElement('link');
    hint.rel = 'prefetch';
    hint.href = new URL(f, document.baseURI).href;
    document.head.append(hint);
  }
}
const linkOf = (e) => (e.target instanceof Element ? e.target.closest('a[href]') : null);
let resting = null;
addEventListener('pointerover', (e) => {
  const a = linkOf(e);
  clearTimeout(resting);
  // a pointer only passing over the nav is not intent: wait for it to rest a moment
  if (a) resting = setTimeout(() => prefetch(a), 80);
});
addEventListener('pointerout', () => clearTimeout(resting));
addEventListener('focusin', (e) => prefetch(linkOf(e)));
addEventListener('touchstart', (e) => prefetch(linkOf(e)), { passive: true });
