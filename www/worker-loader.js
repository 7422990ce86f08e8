// Starts the simulation worker: Trunk builds worker.js / worker_bg.wasm (wasm-bindgen's
// no-modules output) next to this file.
importScripts("worker.js");
wasm_bindgen({ module_or_path: "worker_bg.wasm" });
