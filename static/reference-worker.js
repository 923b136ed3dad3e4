// The benchmark's reference (benchmarks/browser.py): the same Pyodide, from the same site, in a
// worker like the lab's, that only loads and imports numpy. Its load time is the floor the lab's
// start-up is compared against.
const absolute = (path) => new URL(path, self.location.href).href;
const t0 = performance.now();
importScripts(absolute("./pyodide/pyodide.js"));
(async () => {
  const pyodide = await loadPyodide({
    indexURL: absolute("./pyodide/"), lockFileURL: absolute("./pyodide/pyodide-lock.json"),
  });
  const runtime = performance.now() - t0;
  await pyodide.loadPackage(["numpy"], {checkIntegrity: true});
  pyodide.runPython("import numpy; numpy.ones(3).sum()");
  self.postMessage({runtime: Math.round(runtime), app: Math.round(performance.now() - t0)});
})().catch((error) => console.error(`${error}`));
