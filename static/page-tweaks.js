// EM Lab's small fixes to BokehJS/Panel pages, in <head> after BokehJS, in both runtimes (the
// static site: build.py's finish_html; `panel serve`: app/main.py's page template).
(function () {
  // ---- a checkbox's text toggles it ----------------------------------------------------------
  // Bokeh 3.9 draws a checkbox as <input type=checkbox> followed by a <div class="bk-label">,
  // not a <label>, so clicking the words did nothing (panel#7106). Clicks are composed across
  // shadow roots, so one listener here sees the one that hit the words and passes it on.
  document.addEventListener("click", (event) => {
    const target = event.composedPath()[0];
    if (!(target instanceof Element) || !target.classList.contains("bk-label")) return;
    const input = target.previousElementSibling;
    if (input instanceof HTMLInputElement && input.type === "checkbox" && !input.disabled) {
      input.click();
    }
  });
  // Nor does the box have a name for a screen reader: give it its words.
  try {
    const {CheckboxView} = Bokeh.require("models/widgets/checkbox");
    const updateLabel = CheckboxView.prototype._update_label;
    CheckboxView.prototype._update_label = function () {
      updateLabel.call(this);
      this.checkbox_el.setAttribute("aria-label", this.model.label);
    };
  } catch (error) {
    console.warn("EM Lab: BokehJS changed; checkboxes have no accessible name", error);
  }

  // ---- no CSS lookups for plot colours ---------------------------------------------------------
  // BokehJS 3.9 lets CSS override a plot's colours and line styles (`--bk-*` custom properties),
  // so it reads the element's computed style for every visual attribute it paints: every axis
  // label and tick, every glyph, every frame (about a tenth of the main thread while Playing).
  // No stylesheet on these pages sets those properties (the browser tests check both pages:
  // tests/browser/labpage.py), so the lookup always finds nothing: answer that without asking.
  try {
    Bokeh.require("core/visuals/visual").VisualProperties.prototype._get_css_value = () => "";
  } catch (error) {
    console.warn("EM Lab: BokehJS changed; plot colours are read from CSS again", error);
  }
})();
