// EM Lab's Pyodide worker. A Jinja template rendered by build.py (variables: config, code).
//
// Differs from Panel's stock worker (panel/_templates/pyodide_worker.js) in four ways:
// - Every file comes from the site itself (or, with --cdn, the runtime from jsDelivr): Pyodide,
//   then ONE loadPackage of names from the site's pyodide-lock.json, each wheel sha256-checked.
//   No micropip, no dependency resolution at run time.
// - Browser->Python patches are applied synchronously, in arrival order. The stock worker stored
//   each patch in a Python global and applied it in an un-awaited runPythonAsync (which starts on a
//   later task), so two messages back to back both applied the second patch: clicks were doubled
//   or lost. Here a Python function is built once and called with the patch as its argument.
// - Python->browser changes are sent one patch per Python task, not one message per change, and
//   one patch at a time: what changes while the page applies it follows in the next, latest
//   values only.
// - It reports progress in stages (runtime, packages, app) and the time each took.

const CONFIG = {{ config }};
const absolute = (path) => new URL(path, self.location.href).href;
const t0 = performance.now();
const timings = {};

function progress(stage, detail) {
  self.postMessage({type: "progress", stage: stage, detail: detail});
}

function mark(name) {
  timings[name] = Math.round(performance.now() - t0);
}

function sendPatch(patch, buffers, msg_id) {
  self.postMessage({type: "patch", patch: patch, buffers: buffers});
}

let applyPatch = null;   // Python: apply one JSON patch from the browser to the document
let linkDocument = null; // Python: start sending document changes to the browser
let patchApplied = null; // Python: the page applied the last patch; send what waits

// Every file the start needs is requested now, in parallel: the wheels download while the runtime
// downloads and compiles, and Pyodide's own requests then find them in the browser's HTTP cache
// (the site serves them as immutable). Bodies are read to the end so the cache holds them whole.
const prefetched = Promise.all(CONFIG.prefetch.map(
  (url) => fetch(absolute(url)).then((response) => response.arrayBuffer()).then(() => null,
                                                                                  () => null)));

async function startApplication() {
  progress("runtime", "Starting Python (Pyodide)");
  importScripts(absolute(CONFIG.indexURL + "pyodide.js"));
  const options = {
    indexURL: absolute(CONFIG.indexURL),
    // Panel computes its resource URLs from PANEL_CDN_ROOT when it is imported.
    env: {PANEL_CDN_ROOT: absolute(CONFIG.panelRoot)},
  };
  if (CONFIG.lockFileURL) {
    options.lockFileURL = absolute(CONFIG.lockFileURL);
  }
  self.pyodide = await loadPyodide(options);
  mark("runtime");

  progress("packages", "Loading numpy, Bokeh and Panel");
  const loadOptions = {
    checkIntegrity: true,
    messageCallback: (message) => progress("packages", message),
    errorCallback: (message) => console.error(message),
  };
  await prefetched;
  await self.pyodide.loadPackage(CONFIG.packages, loadOptions);
  if (CONFIG.wheels.length) {
    await self.pyodide.loadPackage(CONFIG.wheels.map(absolute), loadOptions);
  }
  mark("packages");

  progress("app", "Importing Panel");
  // Adapts Panel 1.9 to Pyodide 0.27 (the jsnull shim, an HTML sanitizer) before the app runs.
  self.pyodide.runPython(`
import app.runtime
app.runtime.prepare_browser()
import panel.io.pyodide
`);
  mark("imports");
  progress("app", "Building the lab");
  self.pyodide.globals.set("sendPatch", sendPatch);
  const [docs_json, render_items, root_ids] = await self.pyodide.runPythonAsync(`{{ code }}`);
  [applyPatch, linkDocument, patchApplied] = self.pyodide.runPython(`
import asyncio, functools
import js, pyodide.ffi
from bokeh.document.events import (ColumnDataChangedEvent, ColumnsPatchedEvent,
                                   ColumnsStreamedEvent, ModelChangedEvent)
from bokeh.events import DocumentReady
from panel.io.pyodide import _convert_json_patch, _dict_converter, _process_document_events
from panel.io.state import state

# Python -> browser: the document changes of one Python task (a click's callbacks, one Play
# frame) go out as ONE patch. Panel's stock link sends one message per change, and the page then
# re-lays out the lab once per message: dozens of times per click.
# One patch in flight: until the page says it applied the last one, changes wait here, and a
# change that a later one overwrites is dropped. A page that falls behind then gets the latest
# state in one patch, instead of applying every intermediate state it would never get to paint.
# (Play does not run ahead: it takes no half-step while one waits here; app.runtime.watch_page.)
_pending = []
_flush_scheduled = False
_in_flight = False

_ALL = object()

def _latest_only(events):
    covered = {}  # (model id, property) -> _ALL or the set of columns a later event replaces
    kept = []
    for event in reversed(events):
        key = (event.model.id, event.attr) if hasattr(event, "model") and hasattr(event, "attr") else None
        done = covered.get(key)
        if isinstance(event, (ModelChangedEvent, ColumnDataChangedEvent)):
            cols = getattr(event, "cols", None)
            if done is _ALL or (cols is not None and done is not None and set(cols) <= done):
                continue
            covered[key] = _ALL if cols is None else (done or set()) | set(cols)
        elif isinstance(event, (ColumnsStreamedEvent, ColumnsPatchedEvent)) and done is _ALL:
            continue
        kept.append(event)
    return kept[::-1]

def _emlab_flush():
    global _flush_scheduled, _in_flight
    _flush_scheduled = False
    if not _pending or _in_flight:
        return
    events = _latest_only(_pending)
    _pending.clear()
    patch, buffer_map = _process_document_events(state.curdoc, events)
    patch = pyodide.ffi.to_js(patch, dict_converter=_dict_converter)
    buffers = js.Map.new(js.Object.entries(pyodide.ffi.to_js(buffer_map)))
    _in_flight = True
    sendPatch(patch, buffers, None)

def _emlab_applied():
    global _in_flight
    _in_flight = False
    _emlab_flush()

def _emlab_on_change(event):
    global _flush_scheduled
    if getattr(event, "setter", None) == "js":  # the browser's own change, echoed
        return
    _pending.append(event)
    if not _flush_scheduled:  # changes made outside a browser message (Play's timer)
        _flush_scheduled = True
        asyncio.get_event_loop().call_soon(_emlab_flush)

def _emlab_apply_patch(patch):
    try:
        state.curdoc.apply_json_patch(_convert_json_patch(patch), setter="js")
    finally:
        _emlab_flush()  # the answer to this change, before the page hears "idle"

def _emlab_link_document():
    app.runtime.watch_page(lambda: bool(_pending))  # changes waiting for the page
    doc = state.curdoc
    doc.on_change(_emlab_on_change)
    doc.unhold()
    doc.on_event("document_ready", functools.partial(state._schedule_on_load, doc))
    doc.callbacks.trigger_event(DocumentReady())

(_emlab_apply_patch, _emlab_link_document, _emlab_applied)
`).toJs();
  mark("app");
  self.postMessage({
    type: "render", docs_json: docs_json, render_items: render_items, root_ids: root_ids,
    timings: timings,
  });
}

self.onmessage = (event) => {
  const msg = event.data;
  if (msg.type === "rendered") {
    linkDocument();
  } else if (msg.type === "applied") {
    patchApplied();
  } else if (msg.type === "patch") {
    const start = performance.now();
    try {
      applyPatch(msg.patch);
    } finally {
      // Tell the page it may send the next (coalesced) change, and how long Python took
      // (the callbacks included): benchmarks/browser.py splits click-to-repaint with it.
      self.postMessage({type: "idle", python_ms: performance.now() - start});
    }
  }
};

startApplication().catch((error) => {
  const lines = `${error}`.trim().split("\n");
  console.error(`${error}`);
  self.postMessage({type: "error", msg: lines[lines.length - 1]});
});
