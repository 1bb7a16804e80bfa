// Run once per browser tab by webapp/ui.py (prepare_page): what Streamlit offers no setting for.
(() => {
  // The page language, for screen readers and translation tools.
  document.documentElement.lang = 'fr';
  if (window.__observatoirePage) return;
  window.__observatoirePage = true;

  // Streamlit's own labels that no argument sets (screen-reader labels, tooltips, menu
  // entries), in French. Whole values only, so that no page text is ever touched.
  const WORDS = __WORDS__;
  const PREFIXES = __PREFIXES__;
  const ATTRIBUTES = ['aria-label', 'title', 'data-title', 'placeholder', 'aria-valuetext'];
  const french = text => {
    if (Object.prototype.hasOwnProperty.call(WORDS, text)) return WORDS[text];
    for (const [english, translated] of PREFIXES) {
      if (text.startsWith(english)) return translated + text.slice(english.length);
    }
    return null;
  };
  const translateElement = element => {
    for (const name of ATTRIBUTES) {
      const value = element.getAttribute(name);
      const translated = value && french(value);
      if (translated && translated !== value) element.setAttribute(name, translated);
    }
    const only = element.childNodes.length === 1 ? element.firstChild : null;
    if (only && only.nodeType === Node.TEXT_NODE) {
      const text = only.nodeValue.trim();
      if (Object.prototype.hasOwnProperty.call(WORDS, text)) only.nodeValue = WORDS[text];
    }
  };
  const translateTree = root => {
    if (root.nodeType !== Node.ELEMENT_NODE) return;
    translateElement(root);
    root.querySelectorAll('*').forEach(translateElement);
  };

  // Narrow screens (a phone): Plotly writes titles, axis titles, legend entries and category
  // labels on one line at a fixed size, and the edge of the chart cuts what passes it. Under
  // FIT_PX of chart width, each figure Streamlit hands to Plotly is fitted first (a copy:
  // Streamlit's own stays as the server drew it): those texts wrapped to the width, and the
  // long category labels of horizontal bars written above their bar, which then gets the
  // whole width. Wider charts are drawn as they are (but for thinBars, below).
  const FIT_PX = 600;
  const CHAR = 0.6; // average width of a character, in font sizes
  // Labels written above their bars: their size, line spacing, the bar under them and the
  // gap to the bar above (charts/targets.py PHONE_LABELS, which sizes its rows from them).
  const { LABEL_PX, LINE, BAR_PX, GAP_PX } = __PHONE_LABELS__;
  const MIN_BAR_PX = 6; // rows shorter than planned (a server's chart sized for a laptop)
  const MIN_GAP_PX = 5;
  // No « less than » sign in this script: Streamlit's st.html would take it for a tag.
  const BREAK = /\x3cbr\s*\/?>/i;
  const plain = text => String(text).replace(/\x3c[^>]*>/g, '');
  const wrap = (text, chars) => String(text).split(BREAK).map(line => {
    const lines = [];
    let current = '';
    for (const word of line.split(' ')) {
      const candidate = current ? `${current} ${word}` : word;
      if (current && plain(candidate).length > chars) {
        lines.push(current);
        current = word;
      } else current = candidate;
    }
    lines.push(current);
    return lines.join('\x3cbr>');
  }).join('\x3cbr>');
  const lineCount = text => String(text).split(BREAK).length;
  const asTitle = title => (title && typeof title === 'object' ? { ...title } : { text: title || '' });
  const sizeOf = (part, fallback) => (part && part.font && part.font.size) || fallback;

  // DRAWN: the margins Plotly gave the figure once drawn, when they differ from its own (a
  // legend under the plot pushes the bottom margin): the rows are measured between them.
  const fitFigure = (figure, width, drawn) => {
    const layout = { ...(figure.layout || {}) };
    const data = (figure.data || []).map(trace => ({ ...trace }));
    const font = sizeOf(layout, 12);
    const margin = { l: 80, r: 80, t: 100, b: 80, ...(layout.margin || {}) };
    const height = layout.height || 450;
    const served = Math.max(1, height - margin.t - margin.b); // the server's plot height
    // Names placed for a laptop's chart (annotations named « nom », on « Aide et besoins »)
    // would run past a phone's edge or onto each other: there they are read on hover, as the
    // map's names are.
    if (Array.isArray(layout.annotations)) {
      layout.annotations = layout.annotations.filter(a => a.name !== 'nom');
    }
    const title = asTitle(layout.title);
    if (title.text) {
      const size = sizeOf(title, font * 1.4);
      const text = wrap(title.text, Math.floor((width - 16) / (size * CHAR)));
      if (text !== title.text) {
        const extra = (lineCount(text) - lineCount(title.text)) * size * 1.3;
        // Plotly anchors a title of several lines one line too high: one line lower.
        Object.assign(title, { text, yref: 'container', y: 1 - (8 + size) / height, yanchor: 'top' });
        layout.title = title;
        margin.t = Math.max(margin.t + extra, 16 + (lineCount(text) + 0.5) * size * 1.3);
      }
    }
    // Horizontal bars with long category labels: each label above its bar, which then gets
    // the whole width, followed by the bar's own text (a status, a value: inside a thin bar
    // Plotly would shrink it out of reading). The height stays the server's (Streamlit draws
    // a figure again whenever its height differs from the one it sent): charts/targets.py
    // makes its rows tall enough for this layout.
    const bars = data.filter(t => t.type === 'bar' && t.orientation === 'h' && Array.isArray(t.y));
    const categories = [...new Set(bars.flatMap(t => t.y.filter(y => typeof y === 'string')))];
    const yaxis = { ...(layout.yaxis || {}) };
    const tick = Math.min(sizeOf({ font: yaxis.tickfont }, font), LABEL_PX);
    const longest = Math.max(0, ...categories.flatMap(c => c.split(BREAK).map(l => plain(l).length)));
    if (categories.length && longest * tick * CHAR > width * 0.5) {
      const plot = height - (drawn || margin).t - (drawn || margin).b;
      const row = Math.max(1, plot) / categories.length;
      const oneLine = categories.map(c => c.split(BREAK).join(' '));
      // Each category's texts: those of its bars, and a narrow bar's text written beside it
      // by the server (the text trace named « Libellés », charts/targets.py BESIDE_LABELS).
      const beside = data.findIndex(t => t.mode === 'text' && t.name === 'Libellés' && Array.isArray(t.y));
      const status = new Map();
      const add = (y, text) => {
        if (typeof y !== 'string' || !text) return;
        status.set(y, status.has(y) ? `${status.get(y)} · ${text}` : String(text));
      };
      for (const trace of bars) {
        if (Array.isArray(trace.text)) trace.y.forEach((y, i) => add(y, trace.text[i]));
      }
      if (beside !== -1) data[beside].y.forEach((y, i) => add(y, data[beside].text[i]));
      // The text after the label's last line when it fits there, else on lines of its own.
      const withStatus = (lines, i, chars) => {
        const text = status.get(categories[i]);
        if (!text) return lines;
        const last = lines.split(BREAK).pop();
        const joined = `${last} · ${text}`;
        if (plain(joined).length > chars) return `${lines}\x3cbr>${wrap(text, chars)}`;
        return lines.split(BREAK).slice(0, -1).concat([joined]).join('\x3cbr>');
      };
      const boxOf = texts => Math.max(...texts.map(lineCount)) * LABEL_PX * LINE + 4;
      // The labels in LABEL_PX type, wrapped; if the rows are too short for them (with a bar
      // of MIN_BAR_PX and a gap of MIN_GAP_PX at least under each), on one line cut with
      // « … » (the hover gives the whole label).
      const size = LABEL_PX;
      const chars = Math.floor((width - 24) / (size * CHAR));
      let texts = oneLine.map((c, i) => withStatus(wrap(c, chars), i, chars));
      const fits = lines => row >= boxOf(lines) + MIN_BAR_PX + MIN_GAP_PX;
      if (!fits(texts)) {
        const cut = c => (c.length > chars ? `${c.slice(0, chars - 1).trimEnd()}…` : c);
        texts = oneLine.map((c, i) => withStatus(cut(c), i, chars));
      }
      const label = boxOf(texts);
      if (fits(texts)) {
        if (beside !== -1) data.splice(beside, 1);
        for (const trace of bars) {
          const index = data.indexOf(trace);
          data[index] = { ...trace, text: undefined, texttemplate: undefined, textposition: 'none' };
        }
        const bar = Math.max(MIN_BAR_PX, Math.min(row - label - GAP_PX, 2 * BAR_PX));
        layout.bargap = Math.min(0.9, Math.max(0, 1 - bar / row));
        // Marks on the bars (the expected progress, an average) no taller than the bar: a
        // taller one would run into the label above.
        data.forEach((trace, i) => {
          if (trace.type === 'bar' || !trace.marker || !String(trace.mode || '').includes('markers')) return;
          data[i] = { ...trace, marker: { ...trace.marker, size: Math.min(trace.marker.size || 6, bar) } };
        });
        // Each label and its bar centred in their row: the axis moved by half the label.
        const n = categories.length;
        const shift = (label + 2) / 2 / row;
        yaxis.range = yaxis.autorange === 'reversed'
          ? [n - 0.5 - shift, -0.5 - shift] : [-0.5 + shift, n - 0.5 + shift];
        yaxis.autorange = false;
        layout.observatoirePlot = plot;
        yaxis.showticklabels = false;
        layout.yaxis = yaxis;
        margin.l = 10;
        layout.annotations = [...(layout.annotations || []), ...categories.map((c, i) => ({
          text: texts[i],
          xref: 'paper', x: 0, xanchor: 'left',
          yref: bars[0].yaxis || 'y', y: c, yanchor: 'bottom', yshift: bar / 2 + 2,
          align: 'left', showarrow: false, name: 'libelle',
          font: { size, color: (yaxis.tickfont || {}).color },
        }))];
      }
    }
    // Axes along the width: a tick per 65 or 90 px at most (Plotly would tilt labels such as
    // « 1 000 000 € » onto each other and onto the legend); bars' labels left beside the
    // axis take their width from it.
    const leftLabels = categories.length && (layout.yaxis || {}).showticklabels !== false
      ? Math.min(width / 2, longest * tick * CHAR) : 0;
    for (const name of ['xaxis', ...Object.keys(layout).filter(k => /^xaxis\d+$/.test(k))]) {
      const axis = { ...(layout[name] || {}) };
      if (axis.tickmode === 'array' || axis.dtick) continue;
      // Amounts (« 4 000 000 € ») are wider than scores (« 5,0 »).
      const spacing = axis.ticksuffix || axis.tickprefix || /,/.test(axis.tickformat || '') ? 90 : 65;
      const fit = Math.max(2, Math.floor((width - margin.l - margin.r - leftLabels) / spacing));
      axis.nticks = Math.min(axis.nticks || fit, fit);
      layout[name] = axis;
    }
    // Axis titles, to their axis's length.
    let below = 0;
    for (const name of Object.keys(layout).filter(k => /^[xy]axis\d*$/.test(k))) {
      const axis = { ...layout[name] };
      const title = asTitle(axis.title);
      if (!title.text) continue;
      const length = name[0] === 'x' ? width - margin.l - margin.r : height - margin.t - margin.b;
      const text = wrap(title.text, Math.floor(length / (sizeOf(title, font) * CHAR)));
      if (text === title.text) continue;
      axis.title = { ...title, text };
      layout[name] = axis;
      if (name === 'xaxis') below += (lineCount(text) - lineCount(title.text) + 1) * sizeOf(title, font) * 1.3;
    }
    // A legend under the chart keeps its distance in pixels below the plot (its place is a
    // share of the plot's height, which a title on more lines shortens), and goes down by
    // the lines added to the axis title above it.
    if (layout.legend && typeof layout.legend.y === 'number' && 0 > layout.legend.y) {
      const plot = Math.max(1, height - margin.t - margin.b);
      layout.legend = { ...layout.legend, y: (layout.legend.y * served - below) / plot };
    }
    // Legend entries and the nodes of a flow diagram, to the width.
    const legend = sizeOf(layout.legend, font);
    for (const trace of data) {
      if (trace.name && trace.showlegend !== false) {
        trace.name = wrap(trace.name, Math.floor((width - 60) / (legend * CHAR)));
      }
      if (trace.type === 'sankey' && trace.node && Array.isArray(trace.node.label)) {
        const chars = Math.floor((width * 0.3) / (sizeOf(trace.textfont ? { font: trace.textfont } : null, font) * CHAR));
        // A node too thin for its label keeps it for the hover only: written, the labels of
        // thin neighbouring nodes pile up. A node's height is its share of the flow (the
        // flow out of the first column) in the plot's height.
        const link = trace.link || {};
        const values = new Array(trace.node.label.length).fill(0);
        const inflow = new Array(trace.node.label.length).fill(0);
        const outflow = new Array(trace.node.label.length).fill(0);
        (link.value || []).forEach((v, i) => {
          inflow[link.target[i]] += v;
          outflow[link.source[i]] += v;
        });
        values.forEach((_, i) => { values[i] = Math.max(inflow[i], outflow[i]); });
        const flow = outflow.reduce((sum, v, i) => sum + (inflow[i] ? 0 : v), 0) || 1;
        const plot = height - margin.t - margin.b;
        const size = sizeOf(trace.textfont ? { font: trace.textfont } : null, font);
        // The middle column's labels (nodes with flows in and out) would be written over
        // the last column's: on hover only.
        const labels = trace.node.label.map((l, i) => (inflow[i] && outflow[i] ? '' : wrap(l, chars)));
        trace.node = {
          ...trace.node,
          customdata: trace.node.customdata || trace.node.label,
          hovertemplate: trace.node.hovertemplate || `%{customdata} : %{value${
            trace.valueformat ? `:${trace.valueformat}` : ''}}${trace.valuesuffix || ''}\x3cextra>\x3c/extra>`,
          label: labels.map((l, i) => (values[i] / flow * plot * 0.85 >= lineCount(l) * size * LINE ? l : '')),
        };
      }
    }
    // Category names left of the axis kept clear of the marks drawn at its start (a diamond
    // at zero would cover the name's last letters).
    const marks = data.some(t => t.type === 'scatter' && String(t.mode || '').includes('markers')
      && Array.isArray(t.y) && typeof t.y[0] === 'string');
    const axisY = layout.yaxis || {};
    if (marks && axisY.showticklabels !== false) {
      layout.yaxis = { ...axisY, ticklabelstandoff: Math.max(axisY.ticklabelstandoff || 0, 8) };
    }
    // A map is bound by a phone's width: drawn at the top of its figure (whose height is the
    // server's) with its legend right under it, not centred between two blank bands.
    const map = layout.meta && layout.meta.map;
    if (map && map.x_span && map.y_span && layout.legend) {
      const plotWidth = width - margin.l - margin.r;
      const plotHeight = Math.max(1, height - margin.t - margin.b);
      const share = Math.min(1, (1.1 * plotWidth * map.y_span) / map.x_span / plotHeight);
      layout.yaxis = { ...(layout.yaxis || {}), domain: [1 - share, 1] };
      layout.legend = { ...layout.legend, y: Math.max(0, 1 - share - 0.02), yanchor: 'top' };
    }
    layout.margin = margin;
    layout.observatoireFitted = width;
    return { ...figure, data, layout };
  };
  // A map's names are placed (map/labels.py) for the scale its height gives it on a laptop;
  // drawn narrower (a narrow window, a phone) they would run into each other: hidden there,
  // read on hover. 0.85: the share of the plot's width the territory fills (autorange).
  const hideCrowdedNames = (figure, width) => {
    const map = figure.layout.meta && figure.layout.meta.map;
    const annotations = figure.layout.annotations;
    if (!map || !map.names_scale || !Array.isArray(annotations)) return figure;
    const margin = { l: 80, r: 80, ...(figure.layout.margin || {}) };
    if ((0.85 * (width - margin.l - margin.r)) / map.x_span >= map.names_scale) return figure;
    const hidden = annotations.map(a => (a.name === 'nom de territoire' ? { ...a, visible: false } : a));
    return { ...figure, layout: { ...figure.layout, annotations: hidden } };
  };
  // Wide screens: a figure that asks for bars of layout.meta.barPx pixels (charts/targets.py,
  // whose rows are as tall as a phone needs) gets them, whatever the height of its rows.
  const thinBars = (figure, width) => {
    const px = figure.layout.meta && figure.layout.meta.barPx;
    if (!px) return figure;
    const layout = { ...figure.layout };
    const margin = { t: 100, b: 80, ...(layout.margin || {}) };
    const bars = (figure.data || []).filter(t => t.type === 'bar' && Array.isArray(t.y));
    const rows = new Set(bars.flatMap(t => t.y)).size || 1;
    const row = Math.max(1, (layout.height || 450) - margin.t - margin.b) / rows;
    layout.bargap = Math.max(0.2, 1 - px / row);
    layout.observatoireFitted = width;
    return { ...figure, layout };
  };
  const patchPlotly = Plotly => {
    if (!Plotly || Plotly.__observatoireFitted) return;
    Plotly.__observatoireFitted = true;
    for (const name of ['react', 'newPlot']) {
      const draw = Plotly[name];
      Plotly[name] = function (gd, figure, ...rest) {
        const width = (figure && figure.layout && figure.layout.width) || (gd && gd.clientWidth) || 0;
        const whole = figure && !Array.isArray(figure) && figure.data && figure.layout;
        // Streamlit hands back the figure last drawn (Plotly's own, already fitted).
        const done = whole && figure.layout.observatoireFitted === width;
        if (!whole || done || !width) return draw.call(this, gd, figure, ...rest);
        const named = hideCrowdedNames(figure, width);
        if (width >= FIT_PX) return draw.call(this, gd, thinBars(named, width), ...rest);
        const fitted = fitFigure(named, width);
        const drawing = draw.call(this, gd, fitted, ...rest);
        if (!fitted.layout.observatoirePlot || !drawing || !drawing.then) return drawing;
        // Labels above their bars: once drawn, if Plotly's margins left a shorter plot than
        // the one the rows were measured in, measured again in the plot drawn (once).
        return drawing.then(result => {
          const size = gd._fullLayout && gd._fullLayout._size;
          if (!size || size.h >= fitted.layout.observatoirePlot - 1) return result;
          const again = fitFigure(named, width, size);
          // Too short even for one line a label: the first fit stays.
          return again.layout.observatoirePlot ? draw.call(this, gd, again, ...rest) : result;
        });
      };
    }
  };
  // Streamlit loads Plotly with the first chart and sets window.Plotly: patched as it arrives.
  if (window.Plotly) patchPlotly(window.Plotly);
  else {
    let plotly;
    Object.defineProperty(window, 'Plotly', {
      configurable: true,
      get: () => plotly,
      set: value => {
        plotly = value;
        patchPlotly(value);
      },
    });
  }
  translateTree(document.body);
  new MutationObserver(mutations => {
    for (const mutation of mutations) {
      if (mutation.type === 'attributes') translateElement(mutation.target);
      else mutation.addedNodes.forEach(translateTree);
    }
  }).observe(document.body, {
    subtree: true,
    childList: true,
    attributes: true,
    attributeFilter: ATTRIBUTES,
  });

  // Enter in a date field applies the date: Streamlit applies a typed date only when the
  // focus moves to another element (a bare blur() is not enough), so the focus goes to the
  // widget itself, from where Tab carries on.
  document.addEventListener(
    'keydown',
    event => {
      const field = event.key === 'Enter' && event.target.closest
        && event.target.closest('[data-testid="stDateInputField"]');
      const widget = field && field.closest('[data-testid="stDateInput"]');
      if (!widget) return;
      widget.tabIndex = -1;
      widget.focus();
    },
    true,
  );

  // On a narrow screen the sidebar covers the page: close it once a page is chosen.
  // (Streamlit does it only for browsers that call themselves mobile.)
  const NARROW = __NARROW__;
  document.addEventListener('click', event => {
    const link = event.target.closest && event.target.closest('[data-testid="stSidebarNav"] a');
    if (!link || window.innerWidth >= NARROW) return;
    const close = () => {
      const sidebar = document.querySelector('[data-testid="stSidebar"]');
      const button = document.querySelector('[data-testid="stSidebarCollapseButton"] button');
      if (sidebar && button && sidebar.getAttribute('data-collapsed') === 'false') button.click();
    };
    requestAnimationFrame(() => requestAnimationFrame(close));
  });
})();
