// The widget's own front end (anywidget module); the vendored bpmn-js bundle runs first.
const BpmnJS = globalThis.BpmnJS;

function badge(kind, text, title) {
  const span = document.createElement("span");
  span.className = "eventlab-badge eventlab-" + kind;
  span.textContent = text;
  span.title = title;
  return span;
}

function render({ model, el }) {
  const box = document.createElement("div");
  box.className = "eventlab-bpmn";
  box.style.height = model.get("height") + "px";
  const status = document.createElement("div");
  status.className = "eventlab-bpmn-status";
  const options = { container: box };
  const panels = globalThis.BpmnJSPropertiesPanel;
  if (model.get("editable") && panels) {
    // The modeler with Camunda's properties panel and Zeebe's properties (job types, timers,
    // correlation keys), as Camunda Modeler shows them.
    const row = document.createElement("div");
    row.className = "eventlab-bpmn-row";
    const side = document.createElement("div");
    side.className = "eventlab-bpmn-panel";
    side.style.height = model.get("height") + "px";
    row.append(box, side);
    el.append(row, status);
    options.propertiesPanel = { parent: side };
    options.additionalModules = [panels.BpmnPropertiesPanelModule,
      panels.BpmnPropertiesProviderModule, panels.ZeebePropertiesProviderModule];
    options.moddleExtensions = { zeebe: globalThis.EventlabZeebeModdle };
  } else {
    el.append(box, status);
  }
  const bpmn = new BpmnJS(options);
  el.bpmnjs = bpmn;  // for the browser tests and the curious: the bpmn-js instance
  const canvas = bpmn.get("canvas");
  const overlays = bpmn.get("overlays");
  const elements = bpmn.get("elementRegistry");
  let marked = [];

  function paint() {
    const started = performance.now();
    overlays.remove({ type: "eventlab" });
    for (const id of marked) { if (elements.get(id)) canvas.removeMarker(id, "eventlab-path"); }
    marked = [];
    const counts = model.get("counts") || {};
    for (const [id, c] of Object.entries(counts)) {
      if (!elements.get(id)) continue;
      const row = document.createElement("div");
      row.className = "eventlab-counts";
      if (c.active) row.append(badge("active", String(c.active), c.active + " active"));
      if (c.instances) {
        const passes = c.completed !== c.instances ? " (" + c.completed + " passes)" : "";
        row.append(badge("completed", "✓" + c.instances + passes,
                         c.instances + " instances completed this element" + passes));
      }
      if (c.canceled) row.append(badge("canceled", "✗" + c.canceled, c.canceled + " canceled here"));
      if (c.incidents) row.append(badge("incident", "⚠" + c.incidents, c.incidents + " open incidents"));
      if (row.childNodes.length) {
        overlays.add(id, "eventlab", { position: { top: -18, left: 0 }, html: row });
      }
    }
    for (const id of model.get("highlight") || []) {
      if (elements.get(id) && !marked.includes(id)) { canvas.addMarker(id, "eventlab-path"); marked.push(id); }
    }
    model.set("paint_ms", performance.now() - started);
    model.set("painted", model.get("painted") + 1);
    model.save_changes();
  }

  // The whole model, never enlarged past its own size, with a margin for the count badges
  // above the top row (and, in the modeler, for the palette on the left). A notebook may
  // render the widget before its cell has a size: then it fits when the size arrives.
  let fitted = false;
  function fit() {
    if (!box.clientWidth || !box.clientHeight) return false;
    canvas.resized();  // the canvas keeps the size it had when drawn: maybe none
    canvas.zoom("fit-viewport", "auto");
    const left = model.get("editable") ? 140 : 24;
    if (canvas.zoom() > 1) {
      canvas.zoom(1, "auto");
      const view = canvas.viewbox();
      canvas.viewbox({ x: Math.min(view.x, view.inner.x - left), y: view.y,
                       width: view.width, height: view.height });
    } else {
      const view = canvas.viewbox();
      canvas.viewbox({ x: view.x - left, y: view.y - 28, width: view.width + left + 24,
                       height: view.height + 40 });
    }
    return true;
  }
  const sized = new ResizeObserver(() => { if (!fitted) fitted = fit(); });
  sized.observe(box);

  async function load() {
    try {
      const result = await bpmn.importXML(model.get("xml"));
      model.set("import_warnings", result.warnings.map((x) => String(x.message || x)));
      model.set("import_error", "");
      status.textContent = "";
    } catch (err) {
      model.set("import_error", String((err && err.message) || err));
      status.textContent = "bpmn-js could not draw this model: " + model.get("import_error");
    }
    fitted = fit();
    model.set("imported", model.get("imported") + 1);
    model.save_changes();
    paint();
  }

  let timer = null;
  if (model.get("editable")) {
    bpmn.on("commandStack.changed", () => {
      clearTimeout(timer);
      timer = setTimeout(async () => {
        const { xml } = await bpmn.saveXML({ format: true });
        model.set("xml_edited", xml);
        model.save_changes();
      }, 250);
    });
  }
  model.on("change:xml", load);
  model.on("change:counts", paint);
  model.on("change:highlight", paint);
  model.on("change:message", () => { status.textContent = model.get("message"); });
  load();
  return () => { clearTimeout(timer); sized.disconnect(); bpmn.destroy(); };
}

export default { render };
