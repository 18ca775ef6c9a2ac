/* skexplain.recurrent interactive page: LSTMVis select and match in the browser.
 *
 * The data (tokens, sequence ids, the analysed layer's values) is the JSON in
 * #page-data.  select and match compute exactly what HiddenStates.select and
 * HiddenStates.match (skexplain/recurrent/_select.py) compute on the same
 * steps: a cell is on when value >= threshold, with the threshold rounded to
 * the values' precision first, as NumPy compares a float32 array with a
 * Python float in float32.  Nothing is fetched: the page works offline.
 */
(function () {
  "use strict";
  var D = JSON.parse(document.getElementById("page-data").textContent);
  var N = D.nCells, FIRST = D.first, ROWS = D.sequenceIds.length;
  var W = (N + 31) >>> 5;             // 32-bit words per row of on-bits
  var V = decodeValues(D.values, D.dtype, ROWS * N);
  var VIEWS = window.skexplainViews;  // colours, parallel coordinates, f16round (views.js)
  var ROUND = {float16: VIEWS.f16round, float32: Math.fround,
               float64: function (x) { return x; }}[D.dtype];
  var bitsCache = {};
  var state = {selection: null, drag: null, cell: null};
  var $ = function (id) { return document.getElementById(id); };

  function decodeValues(b64, dtype, n) {
    var bin = atob(b64), view = new DataView(new ArrayBuffer(bin.length));
    for (var i = 0; i < bin.length; i++) view.setUint8(i, bin.charCodeAt(i));
    var size = dtype === "float64" ? 8 : 4;  // float16 travels as float32, exactly
    var out = size === 8 ? new Float64Array(n) : new Float32Array(n);
    for (var j = 0; j < n; j++) {  // little-endian whatever the machine
      out[j] = size === 8 ? view.getFloat64(8 * j, true) : view.getFloat32(4 * j, true);
    }
    return out;
  }
  function value(step, cell) { return V[(step - FIRST) * N + cell]; }
  function seq(step) { return D.sequenceIds[step - FIRST]; }
  // No step before (after) it in its sequence: off-before (off-after) holds vacuously.
  function seqFirst(step) { return step === 0 || step - 1 < FIRST || seq(step - 1) !== seq(step); }
  function seqLast(step) {
    return step === D.nSteps - 1 || step + 1 >= FIRST + ROWS || seq(step + 1) !== seq(step);
  }

  // ------------------------------------------------------------ bit sets
  function onBits(threshold) {  // one row of W words per step: bit c set when cell c is on
    var key = String(threshold);
    if (bitsCache[key]) return bitsCache[key];
    var t = ROUND(threshold), bits = new Uint32Array(ROWS * W);
    for (var r = 0; r < ROWS; r++) {
      for (var c = 0; c < N; c++) {
        if (V[r * N + c] >= t) bits[r * W + (c >>> 5)] |= (1 << (c & 31));
      }
    }
    bitsCache = {};
    bitsCache[key] = bits;
    return bits;
  }
  function fullRow() {
    var row = new Uint32Array(W).fill(0xffffffff);
    if (N & 31) row[W - 1] = ((1 << (N & 31)) >>> 0) - 1;
    return row;
  }
  function andRow(acc, bits, step, negate) {
    var base = (step - FIRST) * W;
    for (var w = 0; w < W; w++) acc[w] &= negate ? ~bits[base + w] : bits[base + w];
  }
  function popcount(x) {
    x -= (x >>> 1) & 0x55555555;
    x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
    return (((x + (x >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
  }
  function members(row) {
    var out = [];
    for (var c = 0; c < N; c++) if (row[c >>> 5] & (1 << (c & 31))) out.push(c);
    return out;
  }
  // The cells on at every step of s..e, with the off-before / off-after masks.
  function onThroughout(bits, s, e, offBefore, offAfter) {
    var acc = fullRow();
    for (var t = s; t <= e; t++) andRow(acc, bits, t, false);
    if (offBefore && !seqFirst(s)) andRow(acc, bits, s - 1, true);
    if (offAfter && !seqLast(e)) andRow(acc, bits, e + 1, true);
    return acc;
  }

  // ------------------------------------------------------ select, match
  function checkRange(s, e) {
    if (!(Number.isInteger(s) && Number.isInteger(e)) || s < D.start || e > D.end || s > e) {
      return "the range must satisfy " + D.start + " <= start <= end <= " + D.end +
        "; got " + s + ".." + e + ".";
    }
    for (var t = s + 1; t <= e; t++) {
      if (seq(t) !== seq(s)) {
        return "the range " + s + ".." + e + " spans two sequences (a new one starts at step " +
          t + "); a range must lie within one sequence.";
      }
    }
    return null;
  }
  function select(s, e, threshold, offBefore, offAfter) {
    var problem = checkRange(s, e);
    if (problem) throw new RangeError(problem);
    return members(onThroughout(onBits(threshold), s, e, offBefore, offAfter));
  }
  // Candidate ranges as LSTMVis collects them: maximal runs (within a sequence,
  // on the page's steps) where at least q queried cells are on, q = |C| .. 1.
  function candidates(count, nQuery) {
    var found = [], seen = new Set(), top = 0;
    for (var i = 0; i < count.length; i++) top = Math.max(top, count[i]);
    for (var q = Math.min(nQuery, top); q >= 1 && found.length < D.maxCandidates; q--) {
      var begin = -1;
      for (var t = D.start; t <= D.end + 1; t++) {
        var inRun = t <= D.end && count[t - D.start] >= q;
        if (begin >= 0 && (!inRun || seqFirst(t))) {
          var end = t - 1, key = begin + ":" + end;
          if (end - begin + 1 >= D.minLength && !seen.has(key)) {
            seen.add(key);
            found.push([begin, end]);
            if (found.length >= D.maxCandidates) return found;
          }
          begin = -1;
        }
        if (inRun && begin < 0) begin = t;
      }
    }
    return found;
  }
  function match(cells, threshold, offBefore, offAfter) {
    if (!cells.length) throw new RangeError("no cell to match: select cells first.");
    var bits = onBits(threshold), query = new Uint32Array(W);
    cells.forEach(function (c) { query[c >>> 5] |= (1 << (c & 31)); });
    var count = new Int32Array(D.end - D.start + 1);
    for (var t = D.start; t <= D.end; t++) {
      var base = (t - FIRST) * W, n = 0;
      for (var w = 0; w < W; w++) n += popcount(bits[base + w] & query[w]);
      count[t - D.start] = n;
    }
    var out = candidates(count, cells.length).map(function (range) {
      var a = onThroughout(bits, range[0], range[1], offBefore, offAfter), all = 0, shared = 0;
      for (var w = 0; w < W; w++) { all += popcount(a[w]); shared += popcount(a[w] & query[w]); }
      var union = all + cells.length - shared;
      return {start: range[0], end: range[1], length: range[1] - range[0] + 1,
              score: shared / union, nShared: shared, nUnion: union, cells: members(a)};
    });
    out.sort(function (x, y) {
      return (y.nShared - x.nShared) || (x.nUnion - y.nUnion) || (y.length - x.length) ||
        (x.start - y.start);
    });
    return out.slice(0, D.top);
  }

  // --------------------------------------------------------------- view
  var spans = [];
  function span(step) { return spans[step - D.start]; }
  function buildText() {
    var box = $("text"), words = D.tokens.some(function (t) { return t.length > 1; });
    if (words) box.classList.add("words");
    var frag = document.createDocumentFragment();
    D.tokens.forEach(function (token, i) {
      var el = document.createElement("span"), step = D.start + i;
      el.className = "tok" + (/\n/.test(token) ? " nl" : "") +
        (i > 0 && seqFirst(step) ? " seq-start" : "");
      el.dataset.step = step;
      el.title = "step " + step;
      el.textContent = token;
      spans.push(el);
      frag.appendChild(el);
    });
    box.appendChild(frag);
  }
  function mark(cls, s, e) {
    document.querySelectorAll("#text ." + cls).forEach(function (el) { el.classList.remove(cls); });
    for (var t = s; s !== null && t <= e; t++) span(t).classList.add(cls);
  }
  function status(text, error) {
    var el = $("status");
    el.textContent = text;
    el.className = error ? "error" : "";
  }
  function params() {
    var threshold = Number($("threshold").value);
    if ($("threshold").value.trim() === "" || !(threshold >= 0 && threshold <= 1)) {
      throw new RangeError("the threshold must be a number in [0, 1]; got '" +
                           $("threshold").value + "'.");
    }
    return {threshold: threshold, offBefore: $("off-before").checked,
            offAfter: $("off-after").checked};
  }
  function doSelect(s, e) {
    var p;
    try {
      p = params();
      var cells = select(s, e, p.threshold, p.offBefore, p.offAfter);
    } catch (err) {
      status(err.message, true);
      return;
    }
    state.selection = {start: s, end: e, cells: cells, threshold: p.threshold,
                       offBefore: p.offBefore, offAfter: p.offAfter};
    $("start").value = s;
    $("end").value = e;
    mark("sel", s, e);
    mark("hit", null);
    $("matches").textContent = "";
    $("match").disabled = !cells.length;
    showCells(cells);
    VIEWS.plot($("parallel"), state.selection, value, D);
    status(cells.length + " cell" + (cells.length === 1 ? "" : "s") + " on (>= " + p.threshold +
           ") at every step of " + s + ".." + e + (cells.length ? "" : ": lower the threshold, " +
           "pick a shorter range or drop the off-before/after constraints") + ".", false);
  }
  function showCells(cells) {
    var list = $("selected-cells");
    list.textContent = "";
    cells.forEach(function (c) {
      var el = document.createElement("li");
      el.className = "cell";
      el.dataset.cell = c;
      el.textContent = c;
      el.title = "colour the text by cell " + c;
      list.appendChild(el);
    });
  }
  function doMatch() {
    var sel = state.selection;
    if (!sel || !sel.cells.length) { status("select a range with cells on first.", true); return; }
    var found = match(sel.cells, sel.threshold, sel.offBefore, sel.offAfter), list = $("matches");
    list.textContent = "";
    found.forEach(function (m) {
      var li = document.createElement("li"), text = D.tokens.slice(
        m.start - D.start, Math.min(m.end, m.start + 59) - D.start + 1).join("")
        .replace(/\n/g, "\u21b5") + (m.length > 60 ? "\u2026" : "");
      li.className = "match";
      li.dataset.start = m.start;
      li.dataset.end = m.end;
      li.dataset.score = String(m.score);
      li.dataset.shared = m.nShared;
      li.dataset.union = m.nUnion;
      li.title = "cells on throughout: " + m.cells.join(", ");
      [["range", m.start + ".." + m.end], ["score", "J = " + m.score.toFixed(3)],
       ["counts", m.nShared + " shared / " + m.nUnion], ["snippet", text]].forEach(function (p) {
        var part = document.createElement("span");
        part.className = p[0];
        part.textContent = p[1];
        li.appendChild(part);
      });
      list.appendChild(li);
    });
    status(found.length + " matching range" + (found.length === 1 ? "" : "s") + " for " +
           sel.cells.length + " cells, best first (Jaccard of the cells on throughout).", false);
  }
  function showMatch(li) {
    document.querySelectorAll("#matches .active").forEach(function (el) {
      el.classList.remove("active");
    });
    li.classList.add("active");
    var s = Number(li.dataset.start), e = Number(li.dataset.end);
    mark("hit", s, e);
    var box = $("text"), at = span(s).getBoundingClientRect();  // scroll the text, not the page
    box.scrollTop += at.top - box.getBoundingClientRect().top - box.clientHeight / 2;
  }
  function colourBy(cell) {
    state.cell = cell;
    $("cell-picker").value = cell === null ? "" : String(cell);
    var top = 0, t;
    for (t = D.start; cell !== null && t <= D.end; t++) {
      top = Math.max(top, Math.abs(value(t, cell)));
    }
    var vmax = top <= 1 ? 1 : top;  // as cell_text_display: bounded values keep their scale
    spans.forEach(function (el, i) {
      var v = cell === null ? null : value(D.start + i, cell);
      var rgb = v === null ? null : VIEWS.colour(v / vmax);
      var dark = rgb && 0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2] < 128;
      el.style.backgroundColor = rgb ? "rgb(" + rgb.join(",") + ")" : "";
      el.style.color = dark ? "#fff" : "";
      el.title = "step " + (D.start + i) + (v === null ? "" : ": " + v.toPrecision(4));
    });
    var label = D.layer + "[" + cell + "]";
    $("legend").textContent = cell === null ? "" : (D.tanh ? "tanh(" + label + ")" : label) +
      ": red positive, blue negative, full colour at \u00b1" + Number(vmax.toPrecision(3));
  }

  // ------------------------------------------------------------- events
  function stepOf(target) {
    var el = target && target.closest ? target.closest(".tok") : null;
    return el ? Number(el.dataset.step) : null;
  }
  function wire() {
    var text = $("text");
    text.addEventListener("mousedown", function (ev) {
      var step = stepOf(ev.target);
      if (step === null || ev.button !== 0) return;
      ev.preventDefault();  // a drag selects steps, not characters
      state.drag = step;
      mark("drag", step, step);
    });
    text.addEventListener("mouseover", function (ev) {
      var step = stepOf(ev.target);
      if (state.drag === null || step === null) return;
      mark("drag", Math.min(state.drag, step), Math.max(state.drag, step));
    });
    document.addEventListener("mouseup", function (ev) {
      var from = state.drag, step = stepOf(ev.target);
      state.drag = null;
      mark("drag", null);
      if (from !== null && step !== null) doSelect(Math.min(from, step), Math.max(from, step));
    });
    $("select").addEventListener("click", function () {
      var step = function (id) { var v = $(id).value.trim(); return v === "" ? NaN : Number(v); };
      doSelect(step("start"), step("end"));
    });
    ["threshold", "off-before", "off-after"].forEach(function (id) {
      $(id).addEventListener("change", function () {
        if (state.selection) doSelect(state.selection.start, state.selection.end);
      });
    });
    $("match").addEventListener("click", doMatch);
    $("matches").addEventListener("click", function (ev) {
      var li = ev.target.closest("li.match");
      if (li) showMatch(li);
    });
    $("selected-cells").addEventListener("click", function (ev) {
      var li = ev.target.closest("li.cell");
      if (li) colourBy(Number(li.dataset.cell));
    });
    $("cell-picker").addEventListener("change", function () {
      colourBy($("cell-picker").value === "" ? null : Number($("cell-picker").value));
    });
  }
  function fillPicker() {
    var picker = $("cell-picker"), frag = document.createDocumentFragment();
    for (var c = 0; c < N; c++) {
      var option = document.createElement("option");
      option.value = String(c);
      option.textContent = "cell " + c;
      frag.appendChild(option);
    }
    picker.appendChild(frag);
  }

  buildText();
  fillPicker();
  wire();
  // For scripts and tests: the same computations as the buttons, on any input.
  window.skexplainPage = {data: D, select: select, match: match, colourBy: colourBy};
})();
