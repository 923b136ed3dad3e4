// EM Lab's Pyodide worker. A Jinja template rendered by build.py (variables: config, code).
//
// Differs from Panel's stock worker (panel/_templates/pyodide_worker.js) in five ways:
// - It starts from a memory snapshot when the site has one (build.py makes it): Python as it is
//   after the lab's start-up imports, restored in a fraction of the time they take. Any failure
//   to fetch, check or restore it falls back to the ordinary start below, with one console note.
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

// The patch as JSON text, its arrays' bytes handed over (not copied) to the page.
function sendPatch(patch, buffers) {
  self.postMessage({type: "patch", patch: patch, buffers: buffers}, [...buffers.values()]);
}

let applyPatch = null;   // Python: apply one JSON patch from the browser to the document
let linkDocument = null; // Python: start sending document changes to the browser
let patchApplied = null; // Python: the page applied the last patch; send what waits

// Every file the start needs is requested now, in parallel: the runtime's files download while
// the worker starts, and Pyodide's own requests then find them in the browser's HTTP cache (the
// site serves them as immutable). Bodies are read to the end so the cache holds them whole.
function prefetch(urls) {
  return Promise.all(urls.map((url) => fetch(absolute(url)).then(
    (response) => response.arrayBuffer()).then(() => null, () => null)));
}

// ---- the snapshot start ------------------------------------------------------------------
{{ snapshot_js }}
// One file of the snapshot start, fetched and inflated (gzip, by the browser's own
// DecompressionStream) as it arrives, then checked against the sha256 build.py recorded (of the
// file as sent); nothing of it is used before the check.
async function fetchChecked(file) {
  if (!(self.crypto && crypto.subtle)) return fetchCheckedByBrowser(file);
  const response = await fetch(absolute(file.url));
  if (!response.ok) throw new Error(`${file.url}: HTTP ${response.status}`);
  const [packed, toInflate] = response.body.tee();
  const [sent, inflated] = await Promise.all([
    new Response(packed).arrayBuffer(),
    new Response(toInflate.pipeThrough(new DecompressionStream("gzip"))).arrayBuffer()
      .catch((error) => error)]);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", sent));
  const hex = Array.from(digest, (byte) => byte.toString(16).padStart(2, "0")).join("");
  if (hex !== file.sha256) throw new Error(`${file.url}: not the file this build made (sha256)`);
  if (inflated instanceof Error) throw inflated;
  return new Uint8Array(inflated);
}

// A page that is not a secure context (a site served over http://, or the lab framed by such a
// course page) has no crypto.subtle: there the browser checks the file itself, given its sha256 as
// Subresource Integrity. It hands the body over only once all of it checked out, so the file is
// inflated after it has arrived rather than while it arrives.
async function fetchCheckedByBrowser(file) {
  const digest = String.fromCharCode(...file.sha256.match(/../g).map((hex) => parseInt(hex, 16)));
  let response;
  try {
    response = await fetch(absolute(file.url), {integrity: `sha256-${btoa(digest)}`});
  } catch (error) {
    throw new Error(`${file.url}: not the file this build made, or not fetched (sha256: ${error})`);
  }
  if (!response.ok) throw new Error(`${file.url}: HTTP ${response.status}`);
  const inflated = response.body.pipeThrough(new DecompressionStream("gzip"));
  return new Uint8Array(await new Response(inflated).arrayBuffer());
}

const useSnapshot = Boolean(CONFIG.snapshot);
// With the snapshot, the runtime's wasm is compiled while the snapshot downloads (Pyodide would
// fetch and compile it only once the snapshot is there: it sizes the memory by it).
const wasmURL = absolute(CONFIG.indexURL + "pyodide.asm.wasm");
const wasmCompiled = useSnapshot ? WebAssembly.compileStreaming(fetch(wasmURL)) : null;
if (wasmCompiled) wasmCompiled.catch(() => null);  // (a failure is handled where it is used)
const runtimePrefetched = prefetch(CONFIG.prefetchRuntime.filter(
  (url) => !(useSnapshot && absolute(url) === wasmURL)));
// (settled: a failure is looked at when the start needs the files, never unhandled)
const snapshotFetched = useSnapshot
  ? Promise.all([fetchChecked(CONFIG.snapshot.memory), fetchChecked(CONFIG.snapshot.files)])
    .then((files) => ({files: files}), (error) => ({error: error}))
  : null;
// Without a snapshot the wheels are needed at once; with one, only if it fails.
let packagesPrefetched = useSnapshot ? null : prefetch(CONFIG.prefetchPackages);

function pyodideOptions() {
  const options = {
    indexURL: absolute(CONFIG.indexURL),
    // Panel computes its resource URLs from PANEL_CDN_ROOT when it is imported.
    env: {PANEL_CDN_ROOT: absolute(CONFIG.panelRoot)},
  };
  if (CONFIG.lockFileURL) {
    options.lockFileURL = absolute(CONFIG.lockFileURL);
  }
  return options;
}

// Pyodide requests its wasm as it sets its module up, for its own way of instantiating it; the
// snapshot start instantiates the one compiled while the snapshot downloaded (wasmCompiled) and
// uses Pyodide's way only if that fails. So Pyodide's request is made when its way asks for the
// response, not before: it read the 10 MB a second time on every start (and was cut off when the
// page went away first). Returns a function that puts fetch back.
function deferWasmFetch() {
  const original = self.fetch;
  self.fetch = (url, init) => (String(url) === wasmURL
    ? {then: (resolve, reject) => original(url, init).then(resolve, reject)}
    : original(url, init));
  return () => { self.fetch = original; };
}

// Python as build.py left it after the lab's start-up imports: the start-up packages' files and
// numpy's libraries put in place before the interpreter starts (static/snapshot-start.js), then
// the memory restored. Throws on any failure (the caller then starts the ordinary way).
async function startFromSnapshot() {
  progress("runtime", "Downloading Python and its saved start");
  // Defines _createPyodideModule, which loadPyodide then uses (wrapped below).
  importScripts(absolute(CONFIG.indexURL + "pyodide.asm.js"));
  const fetched = await snapshotFetched;
  if (fetched.error) throw fetched.error;
  const [memory, files] = fetched.files;
  mark("fetch");
  progress("packages", "Restoring numpy, Bokeh and Panel from the saved start");
  const archive = emlabReadArchive(files);
  mark("unpack");
  await runtimePrefetched;
  const unwrap = emlabPreloadArchive(archive, wasmCompiled);
  const unfetch = deferWasmFetch();
  let pyodide;
  try {
    pyodide = await loadPyodide({
      ...pyodideOptions(), _loadSnapshot: memory, _snapshotDeserializer: emlabDeserializeJs,
    });
  } finally {
    unfetch();
    unwrap();
  }
  // Pyodide's JS side does not know what the snapshot holds: a later loadPackage (matplotlib
  // for the export) must not load numpy & co. again.
  for (const name of archive.packages) pyodide.loadedPackages[name] = "default channel";
  // This page load's own random state; and a first native call (numpy), so a restore that
  // left the libraries unusable fails here, inside the fallback, not in the lab.
  pyodide.runPython("import app.runtime\napp.runtime.after_restore()");
  mark("runtime");
  mark("packages");
  mark("imports");
  return pyodide;
}

// The ordinary start: Pyodide, then the start-up packages, then the imports.
async function startOrdinary() {
  progress("runtime", "Starting Python (Pyodide)");
  if (packagesPrefetched === null) packagesPrefetched = prefetch(CONFIG.prefetchPackages);
  const pyodide = await loadPyodide(pyodideOptions());
  mark("runtime");

  progress("packages", "Loading numpy, Bokeh and Panel");
  const loadOptions = {
    checkIntegrity: true,
    messageCallback: (message) => progress("packages", message),
    errorCallback: (message) => console.error(message),
  };
  await packagesPrefetched;
  await pyodide.loadPackage(CONFIG.packages, loadOptions);
  if (CONFIG.wheels.length) {
    await pyodide.loadPackage(CONFIG.wheels.map(absolute), loadOptions);
  }
  mark("packages");

  progress("app", "Importing Panel");
  // Adapts Panel 1.9 to Pyodide 0.27 (the jsnull shim, an HTML sanitizer) before the app runs.
  pyodide.runPython(`
import app.runtime
app.runtime.prepare_browser()
import panel.io.pyodide
`);
  mark("imports");
  return pyodide;
}

// The saved lab brought to the page's query (see startApplication); false if it cannot take it.
// A Python error here is a bug (console.error), but the page still starts: the lab is built again.
function reopenSaved(pyodide) {
  try {
    // (An app script without a reopen() takes no query: build.py also builds other apps.)
    return Boolean(pyodide.runPython(`
import app.runtime
app.runtime.sync_page_location()
(reopen(app.runtime.query_string()) if "reopen" in globals()
 else not app.runtime.query_string())
`));
  } catch (error) {
    console.error(`EM Lab: the saved lab could not take this link (${error}); building it again`);
    return false;
  }
}

async function startApplication() {
  importScripts(absolute(CONFIG.indexURL + "pyodide.js"));
  if (useSnapshot) {
    try {
      self.pyodide = await startFromSnapshot();
      timings.start = "snapshot";
    } catch (error) {
      // A note, not an error: the page still starts, only slower.
      console.info(`EM Lab: starting without the saved start (${error && error.message || error})`);
      self.pyodide = null;
    }
  }
  if (!self.pyodide) {
    self.pyodide = await startOrdinary();
    timings.start = "ordinary";
  }
  self.pyodide.globals.set("sendPatch", sendPatch);
  let built;
  // The snapshot holds the lab as it opens without a query, built and serialized for the page by
  // build.py (the app script's own globals: reopen, page): Panel learns the page's URL, the lab
  // takes in what the page's query asks for (as changes, sent once the page is linked), and the
  // page gets that serialization. A link the saved lab cannot take builds the lab again.
  if (timings.start === "snapshot" && CONFIG.snapshot.lab && reopenSaved(self.pyodide)) {
    progress("app", "Preparing the lab");
    built = self.pyodide.runPython("import app.runtime\napp.runtime.saved_page()");
    timings.lab = "saved";
  } else {
    progress("app", "Building the lab");
    built = await self.pyodide.runPythonAsync(`{{ code }}`);
    timings.lab = "built";
  }
  const [docs_json, render_items, root_ids] = built;
  [applyPatch, linkDocument, patchApplied] = self.pyodide.runPython(`
import asyncio, functools, json
import js, pyodide.ffi
from bokeh.document.events import (ColumnDataChangedEvent, ColumnsPatchedEvent,
                                   ColumnsStreamedEvent, ModelChangedEvent)
from bokeh.events import DocumentReady
from bokeh.core.serialization import Buffer, Serializer
from bokeh.model import Model
from panel.io.pyodide import _convert_json_patch
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

# A patch as panel.io.pyodide._process_document_events makes it, but written as JSON text by
# Python's json, as a Bokeh server sends it (Panel converts it to a tree of JS objects, which the
# message then copies: a tenth of a half-step's Python), its arrays as bytes the message hands
# over. (Bokeh's serializer writes only what JSON holds, non-finite numbers as tagged strings.)
def _buffer_ref(value):
    if isinstance(value, Buffer):
        return value.ref
    raise TypeError(f"not JSON: {type(value).__name__}")

class _SyncedSerializer(Serializer):
    # Bokeh's serializer is given a ref for every model the page already has (all ~300 of the
    # lab's, made anew for every patch); this one makes the ref of a model it meets, if the page
    # has that model (in the document and no longer new).
    def __init__(self, doc):
        super().__init__()
        self._models = doc.models

    def _synced_ref(self, obj):
        if (isinstance(obj, Model) and self._models.get_by_id(obj.id) is obj
                and obj not in self._models._new_models):
            ref = self._references[id(obj)] = obj.ref
            return ref
        return None

    def has_ref(self, obj):
        return id(obj) in self._references or self._synced_ref(obj) is not None

    def get_ref(self, obj):
        ref = self._references.get(id(obj))
        return ref if ref is not None else self._synced_ref(obj)

def _patch_json(doc, events):
    serializer = _SyncedSerializer(doc)
    patch = {"events": serializer.encode(events)}
    doc.models.flush_synced(lambda model: not serializer.has_ref(model))
    buffers = js.Map.new()
    for buffer in serializer.buffers:
        buffers.set(buffer.id, pyodide.ffi.to_js(buffer.to_bytes()).buffer)
    return json.dumps(patch, default=_buffer_ref, allow_nan=False, separators=(",", ":")), buffers

def _emlab_flush():
    global _flush_scheduled, _in_flight
    _flush_scheduled = False
    if not _pending or _in_flight:
        return
    events = _latest_only(_pending)
    _pending.clear()
    patch, buffers = _patch_json(state.curdoc, events)
    _in_flight = True
    sendPatch(patch, buffers)

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
    _emlab_flush()  # what changed before the page was linked, now (before "linked" is said)

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
    self.postMessage({type: "linked"});
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
