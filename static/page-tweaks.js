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

  // Nor does a slider's handle (a <div role="slider">): give it the slider's title ("Components
  // K"), so a screen reader says what it moves and people and tests can find it by name.
  try {
    const {AbstractSliderView} = Bokeh.require("models/widgets/sliders/abstract_slider");
    const updateTitle = AbstractSliderView.prototype._update_title;
    AbstractSliderView.prototype._update_title = function () {
      updateTitle.call(this);
      const title = this.model.title;
      if (!title || this.slider_el == null) return;
      for (const handle of this.slider_el.querySelectorAll("[role=slider]")) {
        handle.setAttribute("aria-label", title);
      }
    };
  } catch (error) {
    console.warn("EM Lab: BokehJS changed; sliders have no accessible name", error);
  }

  // ---- a tap leaves no tooltip over the next button ----------------------------------------------
  // Panel shows a button's description when the mouse enters it and hides it when it leaves. A
  // tap on a phone or tablet is followed by a mouse entering (the browser's compatibility
  // events) that never leaves: the E-step's tooltip then stayed open over the M-step button, the
  // next one to press. A mouse that enters after a touch is not a mouse: the tooltip stays shut.
  try {
    const view = Bokeh.Models.get("panel.models.widgets.Button").prototype.default_view;
    const render = view.prototype.render;
    view.prototype.render = function () {
      if (!this.emlabTouchChecked) {
        let touched = false;
        this.el.addEventListener("pointerover", (event) => {
          touched = event.pointerType !== "mouse";
        });
        // (at the button itself, before Panel's own listener: capture listeners come first)
        this.el.addEventListener("mouseenter", (event) => {
          if (touched) event.stopImmediatePropagation();
        }, true);
        this.emlabTouchChecked = true;
      }
      return render.call(this);
    };
  } catch (error) {
    console.warn("EM Lab: Panel changed; a tap may leave a button's tooltip open", error);
  }

  // ---- plots paint a patch once it is whole ----------------------------------------------------
  // A patch from Python is one consistent state, but BokehJS applies it change by change, and a
  // layout change late in a patch (a text that changed size) paints the plots at once
  // (PlotView._after_layout), while a glyph whose data changed earlier in the same patch is only
  // half updated (GlyphRendererView.update_data awaits: the new columns are in, the spatial index
  // is still the old one). A source that lost rows (3 components -> 2) then paints a row that is
  // gone: "Out of bounds: 0 <= 2 < 2", thrown out of apply_json_patch, which leaves the rest of
  // the patch unapplied and the page corrupt. So no plot paints while a patch is applied; each
  // one that was asked to paints in the next animation frame, when the updates have settled.
  try {
    const {Document} = Bokeh.require("document/document");
    const {PlotView} = Bokeh.require("models/plots/plot_canvas");
    const applyPatch = Document.prototype.apply_json_patch;
    const paint = PlotView.prototype.paint;
    let applying = 0;
    const missed = new Set();
    Document.prototype.apply_json_patch = function (...args) {
      applying += 1;
      try {
        return applyPatch.apply(this, args);
      } finally {
        applying -= 1;
        if (applying === 0) {
          for (const view of missed) view.request_paint();
          missed.clear();
        }
      }
    };
    PlotView.prototype.paint = function () {
      if (applying > 0) {
        missed.add(this);
        return;
      }
      return paint.call(this);
    };
  } catch (error) {
    console.warn("EM Lab: BokehJS changed; plots may paint a half-applied patch", error);
  }

  // ---- a glyph's empty element stays put ---------------------------------------------------------
  // BokehJS gives every glyph renderer an element over the area its glyphs cover, for a context
  // menu, and moves it (a new stylesheet) whenever that area changes: on a half-step, ~8 of
  // them (the trace's markers, the ellipses, the handles), each making the browser recompute
  // styles (~2 ms a click). No renderer here has a context menu, and the element is empty
  // (the glyphs are painted on the canvas), so it is hidden once and not moved.
  try {
    const {GlyphRendererView} = Bokeh.require("models/renderers/glyph_renderer");
    const updatePosition = GlyphRendererView.prototype.update_position;
    GlyphRendererView.prototype.update_position = function () {
      if (this.model.context_menu != null) return updatePosition.call(this);
      if (!this.emlabHidden) {
        this.position.replace(":host { display: none; }");
        this.emlabHidden = true;
      }
    };
  } catch (error) {
    console.warn("EM Lab: BokehJS changed; glyph renderers move their elements again", error);
  }

  // ---- a stylesheet given the text it holds is left alone ----------------------------------------
  // The other renderers (axes, grids, titles, the toolbar, spans) are placed by a stylesheet in
  // their shadow roots that BokehJS writes again on every paint, changed or not: 12 rewrites a
  // half-step, each a new text node the browser parses and restyles its root for (~1 ms a click).
  try {
    const {InlineStyleSheet} = Bokeh.require("core/dom");
    const update = InlineStyleSheet.prototype._update;
    InlineStyleSheet.prototype._update = function (css) {
      if (this.el.textContent !== css) update.call(this, css);
    };
  } catch (error) {
    console.warn("EM Lab: BokehJS changed; renderers rewrite their stylesheets on every paint", error);
  }

  // ---- a size computed from the frame follows the window -----------------------------------------
  // The lab's points are sized from the plot frame's size (a CustomJSExpr with the plot among its
  // arguments: app/views/plot.py's point_size_expr). BokehJS sets a new frame size on the plot
  // without a change signal, so the expression kept its values until the next half-step: a
  // window made larger or smaller (the lab moved to a projector, a phone turned) showed points
  // sized for the old one. The signal is given when the frame's size changes.
  try {
    const {PlotView} = Bokeh.require("models/plots/plot_canvas");
    const frameSize = (view) => {
      try {
        return `${view.model.inner_width}x${view.model.inner_height}`;
      } catch (error) {
        return null;  // not laid out yet
      }
    };
    const afterLayout = PlotView.prototype._after_layout;
    PlotView.prototype._after_layout = function () {
      const before = frameSize(this);
      afterLayout.call(this);
      if (before != null && frameSize(this) !== before) this.model.change.emit();
    };
  } catch (error) {
    console.warn("EM Lab: BokehJS changed; points resize only at the next half-step", error);
  }

  // ---- a plot's font size is read once -----------------------------------------------------------
  // BokehJS reads the plot's computed font size (getComputedStyle) for each axis on every paint;
  // after a patch has changed text on the page that forces a style recalculation in the middle
  // of painting (~5 ms a half-step). Nothing here changes a plot's font size but the window's
  // width (media queries), so it is read again only when that changes.
  try {
    const {PlotView} = Bokeh.require("models/plots/plot_canvas");
    let owner = PlotView.prototype;
    while (owner && !Object.getOwnPropertyDescriptor(owner, "base_font_size")) {
      owner = Object.getPrototypeOf(owner);
    }
    const read = Object.getOwnPropertyDescriptor(owner, "base_font_size").get;
    Object.defineProperty(PlotView.prototype, "base_font_size", {
      configurable: true,
      get() {
        const width = window.innerWidth;
        if (this.emlabFontSize === undefined || this.emlabFontWidth !== width) {
          const size = read.call(this);
          if (!this.el.isConnected) return size;  // not styled yet: ask again next time
          this.emlabFontSize = size;
          this.emlabFontWidth = width;
        }
        return this.emlabFontSize;
      },
    });
  } catch (error) {
    console.warn("EM Lab: BokehJS changed; plots read their font size on every paint", error);
  }

  // ---- a steady card does not shrink by a line or two ------------------------------------------
  // The narration's length changes with every half-step, so its card grew and shrank by a line
  // or two each time: what lies below it jumped (the tabs, in a narrower window), and BokehJS laid
  // the whole lab out again (~3 ms a half-step: the card's size change reaches the page's root).
  // A pane with the class "emlab-steady" keeps its card (its parent) at the tallest it has been,
  // at this window width: it grows with the text, and shrinks only when the text becomes much
  // shorter (below 60%, as when Play shows its short note).
  try {
    const {UIElementView} = Bokeh.require("models/ui/ui_element");
    const afterResize = UIElementView.prototype.after_resize;
    UIElementView.prototype.after_resize = function () {
      if (this.model.css_classes.includes("emlab-steady") && this.parent) {
        keepCardHeight(this, this.parent.el);
      }
      return afterResize.call(this);
    };
  } catch (error) {
    console.warn("EM Lab: BokehJS changed; the narration's card follows its text's height", error);
  }

  function keepCardHeight(view, card) {
    const height = view.el.offsetHeight;  // (the pane itself has no minimum: its own height)
    const width = window.innerWidth;
    const tallest = view.emlabWidth === width ? view.emlabTallest : 0;
    if (height > tallest || height < 0.6 * tallest) {
      card.style.minHeight = "";
      card.style.minHeight = `${card.getBoundingClientRect().height}px`;
      view.emlabTallest = height;
      view.emlabWidth = width;
    }
  }

  // ---- an equation typeset once is reused -----------------------------------------------------
  // The narration is typeset again on every half-step, and its display equation alternates
  // between the same few (the E-step's, the M-step's): KaTeX laid each out anew, ~8 ms a click.
  // Its output depends on the TeX and the display mode only (auto-render passes the same other
  // options every time), so a rendered equation is kept and copied.
  function reuseTypesetEquations() {
    const katex = window.katex;
    if (!katex || katex.emlabReuse) return;
    const render = katex.render;
    const typeset = new Map();  // "D" or "I" + TeX -> a rendered copy
    katex.render = function (tex, element, options) {
      const key = (options && options.displayMode ? "D" : "I") + tex;
      const kept = typeset.get(key);
      if (kept) {
        element.replaceChildren(...kept.cloneNode(true).childNodes);
        return;
      }
      render.call(this, tex, element, options);  // a TeX error throws here: nothing is kept
      if (typeset.size >= 400) typeset.delete(typeset.keys().next().value);
      typeset.set(key, element.cloneNode(true));
    };
    katex.emlabReuse = true;
  }

  // ---- a typeset text changes in place ----------------------------------------------------------
  // Panel's KaTeX pane renders itself whole when its text changes (the narration: every
  // half-step): its shadow root is emptied and its stylesheets added again, so the browser
  // recomputes the page's styles (~3 ms a click). The text is all that changed: it is replaced
  // in the pane's container and typeset there, as the pane's own render does.
  function typesetInPlace() {
    const KaTeX = Bokeh.Models.get("panel.models.katex.KaTeX");  // (undefined before Panel)
    const view = KaTeX && KaTeX.prototype.default_view;
    if (!view || view.prototype.emlabInPlace) return;
    const connect = view.prototype.connect_signals;
    view.prototype.connect_signals = function () {
      const {text} = this.model.properties;
      const onChange = this.on_change;
      this.on_change = function (property, handler) {
        const inPlace = () => (this.container && this.container.isConnected
          ? setTypesetText(this) : handler());
        return onChange.call(this, property, property === text ? inPlace : handler);
      };
      try {
        connect.call(this);
      } finally {
        delete this.on_change;
      }
    };
    view.prototype.emlabInPlace = true;
  }
  function setTypesetText(view) {
    view.container.innerHTML = view.model.text;
    if (!window.renderMathInElement) return;
    window.renderMathInElement(view.container, {
      delimiters: [  // the pane's own (panel/models/katex.ts)
        {left: "$$", right: "$$", display: true},
        {left: "\\[", right: "\\]", display: true},
        {left: "$", right: "$", display: false},
        {left: "\\(", right: "\\)", display: false},
      ],
    });
  }

  // Before any view is made (Panel's models are registered when its script has run: before this
  // one on both pages, but checked again once the page has loaded).
  function panelTweaks() {
    try {
      typesetInPlace();
    } catch (error) {
      console.warn("EM Lab: Panel changed; the narration is rendered whole again", error);
    }
  }
  panelTweaks();
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", () => {
      reuseTypesetEquations();
      panelTweaks();
    }, {once: true});
  } else {
    reuseTypesetEquations();
  }

  // ---- a cloud of dots is drawn as one image ---------------------------------------------------
  // Without GPU acceleration (a school's virtual machine, this repository's test machines) the
  // plots are drawn on a plain canvas (static/handler.js), where BokehJS draws a scatter one
  // circle at a time: a colour string to make and parse and a path to fill per point, then an
  // antialiased circle per point for the browser's software rasterizer when the frame is shown.
  // For the lab's 2,000 points that was ~13 ms of every half-step's paint, its largest part.
  // Circles without an outline (the lab's points) are drawn here into one pixel buffer instead,
  // each pixel covered by the share of it inside the circle and blended over what is there as
  // the canvas blends, and the buffer goes onto the canvas as one image (~2 ms). Everything else
  // (outlines, other markers, angles, an SVG export) is drawn by BokehJS.
  try {
    const {ScatterView} = Bokeh.require("models/glyphs/scatter");
    const littleEndian = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
    const paintPaths = ScatterView.prototype._paint;
    ScatterView.prototype.emlabPaintPaths = paintPaths;  // (the browser tests compare the two)
    ScatterView.prototype._paint = function (ctx, indices, data) {
      const {sx, sy, size, angle, marker} = {...this, ...data};
      const {fill, line, hatch} = this.visuals;
      const m = ctx instanceof CanvasRenderingContext2D ? ctx.getTransform() : null;
      if (!littleEndian || m == null || m.b !== 0 || m.c !== 0 || m.a !== m.d || line.doit
          || hatch.doit || !isScalar(marker, "circle") || !isScalar(angle, 0)) {
        return paintPaths.call(this, ctx, indices, data);
      }
      drawDots(ctx, m, indices, sx, sy, size, fill.fill_color, fill.fill_alpha);
    };
  } catch (error) {
    console.warn("EM Lab: BokehJS changed; dots are drawn one circle at a time", error);
  }
  function isScalar(uniform, value) {
    return uniform.is_Scalar() && uniform.value === value;
  }

  // One buffer for every cloud (they are painted one after another), grown to the largest.
  let dotPixels = null;
  let dotCanvas = null;
  function drawDots(ctx, m, indices, sx, sy, size, color, alpha) {
    const scale = m.a;  // CSS pixels to the canvas's pixels
    const {width, height} = ctx.canvas;
    // The box the dots cover, in the canvas's pixels.
    let left = width, top = height, right = -1, bottom = -1;
    for (const i of indices) {
      const x = scale * sx[i] + m.e, y = scale * sy[i] + m.f, r = scale * size.get(i) / 2 + 1;
      if (!isFinite(x + y + r)) continue;
      left = Math.min(left, Math.floor(x - r));
      top = Math.min(top, Math.floor(y - r));
      right = Math.max(right, Math.ceil(x + r));
      bottom = Math.max(bottom, Math.ceil(y + r));
    }
    left = Math.max(left, 0);
    top = Math.max(top, 0);
    right = Math.min(right, width - 1);
    bottom = Math.min(bottom, height - 1);
    if (right < left || bottom < top) return;
    const boxWidth = right - left + 1, boxHeight = bottom - top + 1;
    if (!dotPixels || dotPixels.width < boxWidth || dotPixels.height < boxHeight) {
      const w = Math.max(boxWidth, dotPixels ? dotPixels.width : 0);
      const h = Math.max(boxHeight, dotPixels ? dotPixels.height : 0);
      dotPixels = new ImageData(w, h);
      dotCanvas = document.createElement("canvas");
      dotCanvas.width = w;
      dotCanvas.height = h;
    }
    const stride = dotPixels.width;
    const pixels = new Uint32Array(dotPixels.data.buffer);  // 0xAABBGGRR (little-endian RGBA)
    for (let row = 0; row < boxHeight; row++) pixels.fill(0, row * stride, row * stride + boxWidth);

    for (const i of indices) {
      const cx = scale * sx[i] + m.e - left, cy = scale * sy[i] + m.f - top;
      const radius = scale * size.get(i) / 2;
      const rgba = color.get(i);  // 0xRRGGBBAA
      const opacity = ((rgba & 0xff) / 255) * alpha.get(i);
      if (!isFinite(cx + cy + radius) || !(opacity > 0) || !(radius > 0)) continue;
      const red = rgba >>> 24, green = (rgba >>> 16) & 0xff, blue = (rgba >>> 8) & 0xff;
      const x0 = Math.max(0, Math.floor(cx - radius - 0.5));
      const x1 = Math.min(boxWidth - 1, Math.ceil(cx + radius + 0.5));
      const y0 = Math.max(0, Math.floor(cy - radius - 0.5));
      const y1 = Math.min(boxHeight - 1, Math.ceil(cy + radius + 0.5));
      // A pixel whose centre is within radius - 1/2 is covered whole; beyond radius + 1/2, not.
      const whole = radius > 0.5 ? (radius - 0.5) ** 2 : -1;
      const none = (radius + 0.5) ** 2;
      for (let y = y0; y <= y1; y++) {
        const dy = y + 0.5 - cy;
        for (let x = x0, at = y * stride + x0; x <= x1; x++, at++) {
          const dx = x + 0.5 - cx;
          const d2 = dx * dx + dy * dy;
          if (d2 >= none) continue;
          const a = d2 <= whole ? opacity : opacity * Math.min(1, radius + 0.5 - Math.sqrt(d2));
          const under = pixels[at];
          if (under === 0) {
            pixels[at] = ((a * 255 + 0.5) << 24) | (blue << 16) | (green << 8) | red;
            continue;
          }
          // Source-over with unpremultiplied colours: the dot's share and what shows through.
          const through = ((under >>> 24) / 255) * (1 - a);
          const out = a + through;
          const own = a / out, kept = through / out;
          pixels[at] = ((out * 255 + 0.5) << 24)
            | ((blue * own + ((under >>> 16) & 0xff) * kept + 0.5) << 16)
            | ((green * own + ((under >>> 8) & 0xff) * kept + 0.5) << 8)
            | (red * own + (under & 0xff) * kept + 0.5);
        }
      }
    }
    dotCanvas.getContext("2d").putImageData(dotPixels, 0, 0, 0, 0, boxWidth, boxHeight);
    ctx.save();
    ctx.setTransform(1, 0, 0, 1, 0, 0);  // (the clip set by BokehJS stays)
    ctx.drawImage(dotCanvas, 0, 0, boxWidth, boxHeight, left, top, boxWidth, boxHeight);
    ctx.restore();
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
