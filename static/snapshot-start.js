// EM Lab: what a Pyodide memory snapshot needs around the runtime's own start. Shared, as is, by
// build.py (node: makes the snapshot) and static/worker.js (the browser: restores it), because the
// two runs must do exactly the same before the interpreter starts.
//
// A snapshot is a copy of the wasm memory. Shared libraries (numpy's .so files) get memory and
// function-table slots when they are loaded, and the table is not in the copy: so numpy's
// libraries are loaded in both runs at the same moment (a preRun hook: after the wasm is
// instantiated, before the interpreter starts), in the same order, from the same paths. They land
// at the same addresses and slots, and Python's later dlopen finds them loaded. The snapshot holds
// no files either: the same hook writes every file of the start-up packages into the in-memory file
// system (Panel reads its CSS and templates from them at run time).
// (The approach of Cloudflare's Python Workers; Pyodide 0.27.7's own snapshots cannot hold
// package-load state: pyodide#6418.)

// The start-up files as one archive: "EMLF", the header's length (uint32, little-endian), a JSON
// header {files: [[path, size], ...], dynlibs: [path, ...], packages: [lock name, ...]}, then
// every file's bytes in header order. Written by build.py (snapshot_archive).
function emlabReadArchive(bytes) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.byteLength < 8 || view.getUint32(0, true) !== 0x464c4d45) {
    throw new Error("not an EM Lab start-up archive");
  }
  const length = view.getUint32(4, true);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + length)));
  let offset = 8 + length;
  const files = header.files.map(([path, size]) => {
    const file = [path, bytes.subarray(offset, offset + size)];
    offset += size;
    return file;
  });
  if (offset !== bytes.byteLength) throw new Error("the start-up archive is truncated");
  return {files: files, dynlibs: header.dynlibs, packages: header.packages};
}

// Make the next loadPyodide() start with the archive's files and libraries in place. Returns a
// function that puts Pyodide's own module factory back (for a start without the snapshot).
// Needs pyodide.asm.js loaded (it defines globalThis._createPyodideModule; loadPyodide then
// calls ours). `compiled` (optional): a promise of pyodide.asm.wasm compiled already (the
// browser compiles it while the snapshot downloads); if it fails, Pyodide's own way is used.
function emlabPreloadArchive(archive, compiled) {
  const original = globalThis._createPyodideModule;
  globalThis._createPyodideModule = (settings) => {
    if (compiled) {
      const stock = settings.instantiateWasm;
      settings.instantiateWasm = (imports, success) => {
        compiled.then((module) => WebAssembly.instantiate(module, imports).then(
          (instance) => success(instance, module))).catch(() => stock(imports, success));
        return {};
      };
    }
    settings.preRun = [...(settings.preRun || []), (Module) => {
      const FS = Module.FS;
      const made = new Set();
      for (const [path, data] of archive.files) {
        const folder = path.slice(0, path.lastIndexOf("/"));
        if (!made.has(folder)) {
          FS.mkdirTree(folder);
          made.add(folder);
        }
        FS.writeFile(path, data, {canOwn: true});  // no copy: the file is a view of the archive
      }
      for (const path of archive.dynlibs) {
        Module.loadDynamicLibrary(path, {global: false, nodelete: true, loadAsync: false, fs: FS});
      }
    }];
    return original(settings);
  };
  return () => { globalThis._createPyodideModule = original; };
}

// The JS objects Python holds when the snapshot is made, saved by how to find them again:
// a global by its name (Panel's js.XMLHttpRequest), a function made from source by its source
// (Panel's _dict_converter, made by run_js). Anything else fails the build.
function emlabSerializeJs(object) {
  for (const name of Object.getOwnPropertyNames(globalThis)) {
    let value;
    try {
      value = globalThis[name];
    } catch (error) {
      continue;
    }
    if (value === object) return {global: name};
  }
  if (typeof object === "function") {
    const source = Function.prototype.toString.call(object);
    if (!source.includes("[native code]")) return {source: source};
  }
  throw new Error(`EM Lab's snapshot cannot save this JS object: ${String(object).slice(0, 200)}`);
}

function emlabDeserializeJs(saved) {
  if (saved.global) return globalThis[saved.global];
  return (0, eval)(`(${saved.source})`);
}
