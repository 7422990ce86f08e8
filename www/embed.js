// Pillars Lab embed script, for pages of the book (or any page) on another site.
//
//   <script src="https://SITE/embed.js" defer></script>
//   <div data-widget="consistent-hashing" data-nodes="5" data-seed="7"></div>
//   <iframe data-pillars-lab src="https://SITE/embed/consistent-hashing?nodes=5" loading="lazy" …></iframe>
//
// - mounts every [data-widget] element in place (inside a shadow root, so the site's styles and
//   ours never mix), knobs from its data-* attributes; several per page;
// - survives MkDocs Material's instant navigation: mounts on every page swap and destroys the
//   widgets whose elements left the page;
// - follows the book's palette switch (body[data-md-color-scheme]) and passes it to iframes;
// - sizes iframes to their content, trusting only messages from this script's own origin, from
//   one of the page's [data-pillars-lab] frames, of the expected shape.
// The build fills in the bundles' hashed file names below (scripts/trunk_post_build.py).
(() => {
  if (window.PillarsLab) return; // loaded twice (instant navigation re-runs scripts)
  const me = document.currentScript && document.currentScript.src;
  if (!me) return;
  const ORIGIN = new URL(me).origin;
  const at = (file) => new URL(file, me).href;
  // the app's bundles, key -> [glue, wasm]; the widget slug -> its page's key; the bundle for
  // anything else (the release site has one bundle per book page and one per widget of a page
  // with several, keyed by its slug: scripts/build_bundles.py)
  const BUNDLES = __BUNDLES__;
  const BUNDLE_OF = __PAGE_OF__;
  const DEFAULT = __DEFAULT__;
  const CSS = at('__CSS__'); // the shell's styles
  const PAGE_CSS = __PAGE_CSS__; // bundle key -> its widgets' styles (release site)

  const scheme = () => {
    const s = document.body && document.body.getAttribute('data-md-color-scheme');
    return s === 'slate' ? 'dark' : s ? 'light' : null;
  };

  // ---- iframes: size and theme ----
  const frames = () => [...document.querySelectorAll('iframe[data-pillars-lab]')];
  const ready = new WeakSet(); // frame windows that have loaded our page (they sent a size)
  const sendTheme = (win) => {
    const t = scheme();
    if (t) win.postMessage({ type: 'pillars-lab:theme', theme: t }, ORIGIN);
  };
  window.addEventListener('message', (e) => {
    if (e.origin !== ORIGIN) return;
    const d = e.data;
    if (!d || typeof d !== 'object' || d.type !== 'pillars-lab:size') return;
    if (typeof d.height !== 'number' || !(d.height > 0 && d.height < 50000)) return;
    const frame = frames().find((f) => f.contentWindow === e.source);
    if (!frame) return;
    frame.style.height = `${Math.ceil(d.height)}px`;
    if (!ready.has(e.source)) {
      ready.add(e.source);
      sendTheme(e.source); // a frame that just loaded takes the book's current palette
    }
  });
  // A frame's first size message can find no listener (it loaded before this script ran): ask
  // each frame for its size until it answers — now, and a few times after each load of it.
  // Sent to any origin ('*', so an about:blank lazy frame raises no error); it carries nothing,
  // and our frames answer only their parent, at its origin.
  const hello = (f) => {
    if (f.contentWindow && !ready.has(f.contentWindow)) f.contentWindow.postMessage({ type: 'pillars-lab:hello' }, '*');
  };
  const greet = (f) => {
    if (f.dataset.pillarsGreeted) return;
    f.dataset.pillarsGreeted = '1';
    const retry = () => { hello(f); for (const ms of [250, 1000, 3000]) setTimeout(() => hello(f), ms); };
    retry();
    f.addEventListener('load', retry);
  };
  // only frames that have loaded our page: a lazy frame not yet loaded is still about:blank
  const themeFrames = () => {
    frames().forEach(greet);
    for (const f of frames()) if (f.contentWindow && ready.has(f.contentWindow)) sendTheme(f.contentWindow);
  };

  // ---- script mounts ----
  const mounted = new Map(); // element -> handle
  const apps = new Map(); // bundle key -> its glue, once initialised
  // The bundle to mount `slug` from, given every slug the page is about to mount: one already
  // started that carries it (its page's, or its own); else its page's when the page wants two
  // or more of that page's widgets (one download for them all); else its own, which leaves the
  // page's other widgets out.
  const keyFor = (slug, wanted) => {
    const page = BUNDLE_OF[slug];
    if (!BUNDLES[page]) return DEFAULT;
    if (!BUNDLES[slug] || apps.has(page)) return page;
    if (apps.has(slug)) return slug;
    return wanted.some((s) => s !== slug && BUNDLE_OF[s] === page) ? page : slug;
  };
  const load = (key) => {
    if (!apps.has(key)) {
      const [glue, wasm] = BUNDLES[key].map(at);
      apps.set(key, import(glue).then(async (g) => { await g.default({ module_or_path: wasm }); return g; }));
    }
    return apps.get(key);
  };

  async function sync() {
    for (const [el, handle] of mounted) {
      if (!el.isConnected) { handle.destroy(); mounted.delete(el); }
    }
    themeFrames();
    const todo = [...document.querySelectorAll('[data-widget]')].filter((el) => !mounted.has(el));
    if (!todo.length) return;
    const wanted = todo.map((el) => el.getAttribute('data-widget'));
    for (const el of todo) {
      const key = keyFor(el.getAttribute('data-widget'), wanted);
      const glue = await load(key);
      if (mounted.has(el) || !el.isConnected) continue;
      const q = new URLSearchParams();
      for (const a of el.attributes) {
        if (a.name.startsWith('data-') && a.name !== 'data-widget') q.set(a.name.slice(5), a.value);
      }
      if (!q.has('theme')) q.set('theme', 'book');
      q.set('site', ORIGIN); // so the widget's "open in Pillars Lab" link points home
      const root = el.shadowRoot || el.attachShadow({ mode: 'open' });
      root.replaceChildren();
      const sheets = [CSS];
      const own = PAGE_CSS[key];
      if (own) sheets.push(at(own));
      const links = sheets.map((href) => {
        const link = document.createElement('link');
        link.rel = 'stylesheet';
        link.href = href;
        return link;
      });
      const holder = document.createElement('div');
      root.append(...links, holder);
      mounted.set(el, glue.mount_widget(holder, el.getAttribute('data-widget'), q.toString()));
    }
  }

  window.PillarsLab = { sync, mounted: () => mounted.size };
  if (window.document$ && typeof window.document$.subscribe === 'function') {
    window.document$.subscribe(() => { sync(); }); // MkDocs Material: every page, instant or not
  } else if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', () => sync());
  } else {
    sync();
  }
  // palette switches restyle iframes too (script mounts watch the body themselves)
  new MutationObserver(themeFrames).observe(document.body, { attributes: true, attributeFilter: ['data-md-color-scheme'] });
})();
