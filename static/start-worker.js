// EM Lab: start Python first. build.py puts this at the top of <head>, before the page loads
// BokehJS and Panel, so the worker downloads and starts Pyodide while the page loads and draws the
// prerendered copy. static/handler.js takes the worker over and replays what it said until then.
window.emlabEarly = [];
window.emlabWorker = new Worker("./worker.js" + window.location.search);
window.emlabWorker.onmessage = (event) => window.emlabEarly.push(event);
