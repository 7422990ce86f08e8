// Release boot script (scripts/trunk_post_build.py fills in the maps): load the bundle this
// address needs. The release site has one wasm bundle per book page and one for the summary
// (scripts/build_bundles.py); `trunk serve` builds one bundle for everything and boots with
// Trunk's own script instead.
const BUNDLES = __BUNDLES__; // key -> [glue, wasm]
const BUNDLE_OF = __PAGE_OF__; // widget slug -> key
const PAGE_CSS = __PAGE_CSS__; // key -> the stylesheet of that bundle's widgets (index.html links the shell's)
const path = location.pathname.replace(/\/+$/, '');
let key = __DEFAULT__;
let m;
if ((m = path.match(/^\/page\/(\d+)$/)) && BUNDLES[m[1]]) key = m[1];
else if ((m = path.match(/^\/(?:widget|embed)\/([^/]+)$/)) && BUNDLES[BUNDLE_OF[m[1]]]) key = BUNDLE_OF[m[1]];
else if (path === '/summary') key = 'summary';
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
