// EM Lab's page script: starts the Pyodide worker, shows its progress over the prerendered page,
// swaps the prerendered copy for the live one and syncs Bokeh document changes both ways.
// A Jinja template rendered by build.py (variables: stages, datasets). Adapted from Panel's stock
// panel/_templates/pyodide_handler.js; what differs is said where it differs.

(function () {
  const STAGES = {{ stages }};
  const DATASETS = {{ datasets }};  // shipped data set name -> title
  // The worker was started by the first script in <head> (static/start-worker.js), so Pyodide
  // loads while the page loads BokehJS and draws the prerendered copy; its messages so far wait
  // in window.emlabEarly. (The worker reads the page's query string from its own URL.)
  const pyodideWorker = window.emlabWorker || new Worker("./worker.js" + window.location.search);
  pyodideWorker.busy = false;
  pyodideWorker.queue = [];
  let patching = 0;
  // timings: start-up stages (ms since the worker started; "interactive" since navigation
  // started; "page": the live lab is the "prerendered copy" or was "drawn" again); pythonMs:
  // how long Python took for each browser change.
  window.emlab = {timings: {}, live: false, pythonMs: []};

  // ---- WebGL only where it is fast ------------------------------------------------------------
  // The main plot asks for WebGL (fast with a GPU at 50,000 points). Without GPU acceleration
  // (software WebGL such as SwiftShader or llvmpipe, or none) every repaint reads the WebGL
  // canvas back through the CPU, several times slower than drawing on a plain canvas: there both
  // documents (the prerendered copy and the live one) are drawn with canvas instead.
  function softwareWebGL() {
    try {
      const gl = document.createElement("canvas").getContext("webgl");
      if (!gl) return true;
      const info = gl.getExtension("WEBGL_debug_renderer_info");
      const renderer = String(gl.getParameter(info ? info.UNMASKED_RENDERER_WEBGL : gl.RENDERER));
      const lose = gl.getExtension("WEBGL_lose_context");
      if (lose) lose.loseContext();
      return /swiftshader|llvmpipe|softpipe|software|basic render/i.test(renderer);
    } catch (error) {
      return true;
    }
  }
  const canvasOnly = softwareWebGL();
  window.emlab.backend = canvasOnly ? "canvas" : "webgl";
  function withBackend(json) {
    return canvasOnly ? json.replace(/"output_backend": ?"webgl"/g, '"output_backend":"canvas"') : json;
  }
  // Panel's embed script draws the prerendered copy on DOMContentLoaded; this listener runs first.
  document.addEventListener("DOMContentLoaded", () => {
    for (const script of document.querySelectorAll('script[type="application/json"]')) {
      script.textContent = withBackend(script.textContent);
    }
  }, {once: true});

  // ---- the prerendered copy: what the link asks for, or a neutral skeleton -------------------
  // The copy is the lab as it opens without a query (Blobs, K = 3). A link that sets the lab's
  // state (a data set, K, means, half-steps, ...) would show another lab for seconds and then
  // jump, so then the copy keeps its layout but shows none of its state: blank cards, and the
  // plot says what is being opened. `embed=1` drops the title bar at once, as the live lab does.
  const query = new URLSearchParams(window.location.search);
  // (A lesson sets the lab up too; the trace lab's lesson opens another page altogether.)
  const STATE_KEYS = ["data", "k", "cov", "reg", "init", "seed", "mode", "tol", "means", "steps",
                      "lesson"];
  const skeleton = STATE_KEYS.some((key) => query.has(key));
  const embedded = query.get("embed") === "1";

  function deepElements(root = document) {
    return [...root.querySelectorAll("*")].flatMap(
      (el) => (el.shadowRoot ? [el, ...deepElements(el.shadowRoot)] : [el]));
  }

  function shapeCopy() {
    // Runs until the copy has been drawn (BokehJS builds it asynchronously).
    const elements = deepElements();
    const cards = elements.filter((el) => el.classList.contains("emlab-card"));
    if (!cards.length) return false;
    if (embedded) {
      for (const el of elements.filter((el) => el.querySelector && el.shadowRoot &&
                                        el.shadowRoot.querySelector(".emlab-title"))) {
        el.style.display = "none";
      }
    }
    if (skeleton) {
      // (opacity, not visibility: Bokeh's own styles make some elements visible again)
      // Each card keeps its frame; what it holds is blanked.
      for (const card of cards) {
        for (const child of card.shadowRoot ? card.shadowRoot.children : []) {
          if (child.tagName === "STYLE" || child.tagName === "LINK") continue;
          child.style.opacity = "0";
          child.style.pointerEvents = "none";
        }
      }
      const plot = cards.find((el) => el.classList.contains("emlab-plot-card"));
      if (plot) {
        const note = document.createElement("div");
        note.className = "emlab-opening";
        note.style.cssText = "position:absolute;inset:0;display:flex;align-items:center;" +
          "justify-content:center;font:600 20px system-ui,sans-serif;color:#57606a;";
        const name = query.get("data");
        const title = Object.prototype.hasOwnProperty.call(DATASETS, name) ? DATASETS[name] : null;
        note.textContent = title ? `Opening ${title}…`
          : query.get("lesson") === "trace-lab" ? "Opening the trace lab…"
          : query.has("lesson") ? "Opening the lesson…" : "Opening the lab…";
        (plot.shadowRoot || plot).appendChild(note);
      }
    }
    return true;
  }
  // Undo the skeleton's blanking when the copy itself became the live lab, once the link's state
  // is in (the "linked" message).
  let unshapeAfterPatch = false;
  function unshapeCopy() {
    unshapeAfterPatch = false;
    for (const card of deepElements().filter((el) => el.classList.contains("emlab-card"))) {
      for (const child of card.shadowRoot ? card.shadowRoot.children : []) {
        child.style.opacity = "";
        child.style.pointerEvents = "";
      }
      for (const note of (card.shadowRoot || card).querySelectorAll(".emlab-opening")) {
        note.remove();
      }
    }
  }

  if (skeleton || embedded) {
    document.body && document.body.classList.add(skeleton ? "emlab-skeleton" : "emlab-embedded");
    let tries = 0;  // the copy is drawn within a second or two; stop looking after 30 s
    const tryShape = () => {
      if (!window.emlab.live && !shapeCopy() && ++tries < 1500) setTimeout(tryShape, 20);
    };
    document.addEventListener("DOMContentLoaded", () => setTimeout(tryShape, 0), {once: true});
  }

  // ---- clicks and keys before Python is live are kept, then run in order ----------------------
  // The copy looks like the lab, so people click it. A click on one of its buttons or tabs, or a
  // shortcut key, is kept (the progress card lists what waits) and run on the live lab, in order,
  // each after Python has answered the one before. Any other control (a slider, a menu, the plot)
  // does nothing yet, and the card says so.
  const waiting = [];  // {kind: "button" | "tab" | "key", text}
  const SHORTCUTS = new Set(["e", "E", "m", "M", " ", "ArrowLeft", "p", "P", "r", "R"]);

  function actionOf(event) {
    for (const el of event.composedPath()) {
      if (!(el instanceof Element)) continue;
      if (el.tagName === "BUTTON") return {kind: "button", text: el.textContent.trim()};
      if (el.classList.contains("bk-tab")) return {kind: "tab", text: el.textContent.trim()};
    }
    return null;
  }

  function insideCopy(event) {
    return event.composedPath().some((el) => el instanceof Element && el.hasAttribute &&
                                              el.hasAttribute("data-root-id"));
  }

  function holdUntilLive(event) {
    if (window.emlab.live || overlay.contains(event.target)) return;
    if (event.type === "keydown") {
      const field = event.composedPath().find((el) => el instanceof Element &&
        (/^(INPUT|SELECT|TEXTAREA)$/.test(el.tagName) || el.getAttribute("role") === "slider"));
      if (event.key === "Tab" || event.ctrlKey || event.metaKey || event.altKey) return;
      const focused = actionOf(event);
      if (focused && (event.key === "Enter" || event.key === " ")) {
        event.preventDefault();
        event.stopPropagation();
        keep(focused);
      } else if (!field && SHORTCUTS.has(event.key)) {
        event.preventDefault();
        event.stopPropagation();
        keep({kind: "key", text: event.key});
      } else if (field) {
        event.preventDefault();
        event.stopPropagation();
        say("The controls wake up in a moment: Python is still starting.");
      }
      return;
    }
    if (!insideCopy(event)) return;
    event.preventDefault();
    event.stopPropagation();
    if (event.type !== "click") return;
    const action = actionOf(event);
    if (action && !skeleton) keep(action);
    else say("The controls wake up in a moment: Python is still starting.");
  }
  const HELD = ["click", "pointerdown", "mousedown", "touchstart", "keydown", "input", "change",
                "wheel", "dblclick"];
  for (const type of HELD) {
    window.addEventListener(type, holdUntilLive, {capture: true, passive: false});
  }

  function keep(action) {
    waiting.push(action);
    const names = waiting.map((a) => (a.kind === "key" ? `key ${a.text === " " ? "space" : a.text}`
                                                       : a.text));
    say(`Will run when the lab is live: ${names.join(", ")}`);
  }

  function say(text) {
    hint.textContent = text;
    hint.classList.add("emlab-loader-flash");
    setTimeout(() => hint.classList.remove("emlab-loader-flash"), 600);
  }

  let answered = null;  // resolves when the worker says it handled the last change
  async function runWaiting() {
    for (const type of HELD) {
      window.removeEventListener(type, holdUntilLive, {capture: true, passive: false});
    }
    while (waiting.length) {
      const action = waiting.shift();
      if (action.kind === "key") {
        document.dispatchEvent(new KeyboardEvent("keydown", {key: action.text, bubbles: true}));
      } else {
        const selector = action.kind === "tab" ? ".bk-tab" : "button";
        const target = deepElements().find(
          (el) => el.matches(selector) && el.textContent.trim() === action.text);
        if (target) target.click();
      }
      // A change that reached Python is answered ("idle") before the next one goes.
      await new Promise((resolve) => queueMicrotask(resolve));
      if (pyodideWorker.busy || pyodideWorker.queue.length) {
        await new Promise((resolve) => { answered = resolve; });
      }
      await new Promise((resolve) => requestAnimationFrame(resolve));
    }
  }

  // ---- progress overlay: one row per stage, filled as the worker reports -------------------
  const overlay = document.createElement("div");
  overlay.className = "emlab-loader";
  overlay.setAttribute("role", "status");
  overlay.setAttribute("aria-live", "polite");
  overlay.innerHTML = '<div class="emlab-loader-card"><div class="emlab-loader-title"></div>' +
    '<ol class="emlab-loader-stages"></ol><div class="emlab-loader-detail"></div>' +
    '<div class="emlab-loader-hint"></div></div>';
  overlay.querySelector(".emlab-loader-title").textContent = "Starting Python in your browser";
  const list = overlay.querySelector(".emlab-loader-stages");
  const rows = {};
  for (const stage of STAGES) {
    const row = document.createElement("li");
    row.dataset.stage = stage.id;
    row.textContent = stage.label;
    list.appendChild(row);
    rows[stage.id] = row;
  }
  const detail = overlay.querySelector(".emlab-loader-detail");
  const hint = overlay.querySelector(".emlab-loader-hint");
  hint.textContent = skeleton ? "Opening what the link asks for."
    : "The controls wake up in a moment; buttons clicked now run then.";
  document.addEventListener("DOMContentLoaded", () => document.body.appendChild(overlay));
  if (document.body) document.body.appendChild(overlay);

  function showStage(id, text) {
    let reached = false;
    for (const stage of STAGES) {
      const row = rows[stage.id];
      if (stage.id === id) {
        reached = true;
        row.className = "active";
      } else {
        row.className = reached ? "" : "done";
      }
    }
    detail.textContent = text || "";
  }

  function showError(text) {
    overlay.classList.add("emlab-loader-error");
    overlay.querySelector(".emlab-loader-title").textContent = "The lab could not start";
    detail.textContent = text;
  }

  // ---- browser -> Python: one patch in flight; changes to the same property coalesce -----------
  // The changes of one task go out together, at its end: a file input sets its value, file name
  // and MIME type one after the other, and Python must see them in one patch (the stock handler
  // sent the first alone, so the upload arrived without its name).
  let flushScheduled = false;

  function send_change(event) {
    if ((event.setter_id != null && event.setter_id == "py") || patching > 0) {
      return;
    }
    if (event.model && event.attr) {
      pyodideWorker.queue = pyodideWorker.queue.filter(
        (old) => !(old.model === event.model && old.attr === event.attr));
    }
    pyodideWorker.queue.push(event);
    if (!pyodideWorker.busy && !flushScheduled) {
      flushScheduled = true;
      queueMicrotask(sendQueued);
    }
  }

  function sendQueued() {
    flushScheduled = false;
    if (pyodideWorker.busy || !pyodideWorker.queue.length) return;
    const patch = pyodideWorker.jsdoc.create_json_patch(pyodideWorker.queue);
    pyodideWorker.busy = true;
    pyodideWorker.queue = [];
    pyodideWorker.postMessage({type: "patch", patch: patch});
  }

  // The prerendered copy's document when it is the worker's (the same root ids) and drawn
  // (every root has its view); null otherwise. The copy is drawn long before a restored worker
  // is ready; a page still drawing it is waited for a few seconds.
  async function drawnDocument(root_ids) {
    const wanted = [...root_ids].sort().join(" ");
    const doc = Bokeh.documents.find(
      (d) => d.roots().map((root) => root.id).sort().join(" ") === wanted);
    if (!doc) return null;
    for (let frame = 0; frame < 600; frame++) {
      const drawn = new Set(Bokeh.index.roots.map((view) => view.model.id));
      if (root_ids.every((id) => drawn.has(id))) return doc;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return null;
  }

  // The lab is live in `jsdoc`: changes go both ways from now on, the progress card goes.
  function goLive(jsdoc, timings) {
    pyodideWorker.jsdoc = jsdoc;
    // Any other document (a prerendered copy drawn again) is dead now: drop it, so
    // Bokeh.documents[0] is the live one (as under panel serve) for anyone who inspects the page.
    for (const doc of Bokeh.documents.filter((d) => d !== jsdoc)) {
      Bokeh.documents.splice(Bokeh.documents.indexOf(doc), 1);
    }
    jsdoc.on_change(send_change, false);
    pyodideWorker.postMessage({type: "rendered"});

    // Unlike the stock handler, say so when the page is live: tests and benchmarks wait for
    // this attribute, and the timings tell where the start-up time went.
    Object.assign(window.emlab.timings, timings, {interactive: Math.round(performance.now())});
    window.emlab.live = true;
    document.body.classList.remove("emlab-loading");
    document.body.dataset.pyodide = "live";
    document.body.classList.remove("emlab-skeleton", "emlab-embedded");
    overlay.remove();
    runWaiting();
  }

  pyodideWorker.onmessage = async (event) => {
    const msg = event.data;
    if (msg.type === "idle") {
      window.emlab.pythonMs.push(msg.python_ms);
      pyodideWorker.busy = false;
      sendQueued();
      if (answered && !pyodideWorker.busy) {
        answered();
        answered = null;
      }
    } else if (msg.type === "linked") {
      // Python has sent what changed before the link (a link's state, as the patch just
      // applied, if anything changed): the blank copy shows itself now.
      if (unshapeAfterPatch) unshapeCopy();
    } else if (msg.type === "progress") {
      showStage(msg.stage, msg.detail);
    } else if (msg.type === "error") {
      showError(msg.msg);
    } else if (msg.type === "render") {
      const root_ids = JSON.parse(msg.root_ids);
      // A worker restored from the snapshot holds the very document the prerendered copy shows
      // (build.py made the copy from it): that copy becomes the live lab, nothing is drawn again.
      const shown = msg.timings.lab === "saved" ? await drawnDocument(root_ids) : null;
      if (shown) {
        // A link's own state comes as the first patch: the copy keeps its loading shape (blank
        // cards, "Opening ...") until the worker says it has sent it ("linked").
        if (skeleton) unshapeAfterPatch = true;
        goLive(shown, {...msg.timings, page: "prerendered copy"});
        return;
      }
      showStage("app", "Drawing");
      const docs_json = JSON.parse(withBackend(msg.docs_json));
      const render_items = JSON.parse(msg.render_items);

      // Map the live document's roots onto the prerendered elements, in the same order.
      const root_els = document.querySelectorAll("[data-root-id]");
      const data_roots = [];
      for (const el of root_els) {
        el.innerHTML = "";
        data_roots.push([el.getAttribute("data-root-id"), el.id]);
      }
      data_roots.sort((a, b) => (a[0] < b[0] ? -1 : 1));
      const roots = {};
      for (let i = 0; i < data_roots.length; i++) {
        roots[root_ids[i]] = data_roots[i][1];
      }
      render_items[0]["roots"] = roots;
      render_items[0]["root_ids"] = root_ids;

      Bokeh.index.roots.map((v) => v.remove());
      const [views] = await Bokeh.embed.embed_items(docs_json, render_items);
      goLive([...views.roots.values()][0].model.document, {...msg.timings, page: "drawn"});
    } else if (msg.type === "patch") {
      try {
        patching += 1;
        pyodideWorker.jsdoc.apply_json_patch(JSON.parse(msg.patch), msg.buffers);
      } finally {
        patching -= 1;
        // The worker holds further changes until the page has applied this one (worker.js);
        // said in the next animation frame, so the page draws between two patches.
        requestAnimationFrame(() => pyodideWorker.postMessage({type: "applied"}));
      }
    }
  };

  pyodideWorker.onerror = (event) => showError(event.message || "the worker failed to start");
  // What the worker said before this script ran, in order.
  for (const event of window.emlabEarly || []) pyodideWorker.onmessage(event);
  window.emlabEarly = [];
})();
