// A stand-in for the kernel: runs the widget's module in a page without Jupyter.
const state = JSON.parse(document.getElementById("state").textContent);
const handlers = {};
const model = {
  get: (key) => state[key],
  set: (key, value) => { state[key] = value; (handlers["change:" + key] || []).forEach((f) => f()); },
  on: (event, f) => { (handlers[event] = handlers[event] || []).push(f); },
  save_changes: () => {},
};
window.model = model;
const code = document.getElementById("esm").textContent;
const url = URL.createObjectURL(new Blob([code], { type: "text/javascript" }));
import(url).then((module) => { module.default.render({ model, el: document.getElementById("root") }); });
