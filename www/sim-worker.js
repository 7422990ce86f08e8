// The simulation worker (a module worker). The page sends the WebAssembly.Module it already
// compiled and the URL of its wasm-bindgen glue; this worker instantiates the same app here and
// answers run requests off the main thread (src/worker.rs). The app's start function sees no
// window and mounts nothing.
let handle = null;
self.onmessage = async (event) => {
  const data = event.data;
  if (data && data.init) {
    try {
      const glue = await import(data.glue);
      await glue.default({ module_or_path: data.init });
      handle = glue.worker_handle;
      self.postMessage({ ready: true });
    } catch (e) {
      self.postMessage({ failed: String(e) });
    }
    return;
  }
  if (handle) {
    const t0 = performance.now();
    const reply = handle(data);
    reply.ms = performance.now() - t0; // time in the worker, for the benchmark's breakdown
    self.postMessage(reply);
  }
};
