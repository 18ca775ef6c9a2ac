/* skexplain.recurrent interactive page: colours and the parallel-coordinates view.
 *
 * colour(x): the RdBu_r colour of x in [-1, 1] (matplotlib's RdBu is the
 * ColorBrewer ramp below, interpolated linearly), as [r, g, b] in 0..255.
 * plot(svg, selection, value, data): LSTMVis' parallel coordinates, one line
 * per selected cell over a window around the range, with the threshold.
 */
(function () {
  "use strict";
  var RAMP = [  // RdBu_r: blue (-1) .. white (0) .. red (+1)
    [5, 48, 97], [33, 102, 172], [67, 147, 195], [146, 197, 222], [209, 229, 240],
    [247, 247, 247], [253, 219, 199], [244, 165, 130], [214, 96, 77], [178, 24, 43],
    [103, 0, 31]];
  var SVG = "http://www.w3.org/2000/svg";  // a namespace name, never fetched
  var PAD = 5;          // steps shown on each side of the selected range
  var MAX_LINES = 200;  // lines drawn at most (the list shows every cell)

  function colour(x) {
    var t = (Math.max(-1, Math.min(1, x)) + 1) / 2 * (RAMP.length - 1);
    var i = Math.min(RAMP.length - 2, Math.floor(t)), f = t - i;
    return RAMP[i].map(function (lo, k) { return Math.round(lo + f * (RAMP[i + 1][k] - lo)); });
  }

  // The nearest float16 (ties to even) of x in [0, 1]: Math.f16round where the
  // browser lacks it (thresholds of float16 states are compared in float16).
  function f16round(x) {
    if (!(x > 0)) return x;
    var e = Math.max(-14, Math.floor(Math.log2(x)));
    if (e > -14 && Math.pow(2, e) > x) e--;  // log2 may be off near powers of 2
    if (Math.pow(2, e + 1) <= x) e++;
    var ulp = Math.pow(2, e - 10), q = x / ulp, r = Math.floor(q);  // exact: ulp is 2^k
    if (q - r > 0.5 || (q - r === 0.5 && r % 2 === 1)) r++;
    return r * ulp;
  }

  function node(name, attrs, parent, text) {
    var el = document.createElementNS(SVG, name);
    Object.keys(attrs).forEach(function (k) { el.setAttribute(k, attrs[k]); });
    if (text !== undefined) el.textContent = text;
    if (parent) parent.appendChild(el);
    return el;
  }

  function shown(token) {
    return token.replace(/\n/g, "\u21b5").replace(/\t/g, "\u21e5").replace(/ /g, "\u2423");
  }

  function plot(svg, sel, value, D) {
    svg.textContent = "";
    var a = Math.max(D.start, sel.start - PAD), b = Math.min(D.end, sel.end + PAD);
    var cells = sel.cells.slice(0, MAX_LINES), width = 640, height = 240;
    var left = 40, right = 10, top = 10, bottom = 34;
    var lo = 0, hi = sel.threshold;
    cells.forEach(function (c) {
      for (var t = a; t <= b; t++) {
        lo = Math.min(lo, value(t, c));
        hi = Math.max(hi, value(t, c));
      }
    });
    hi = Math.max(hi, lo + 1e-9);
    var x = function (t) {
      return left + (b > a ? (t - a) / (b - a) : 0.5) * (width - left - right);
    };
    var y = function (v) { return top + (hi - v) / (hi - lo) * (height - top - bottom); };
    svg.setAttribute("viewBox", "0 0 " + width + " " + height);
    var half = b > a ? (x(a + 1) - x(a)) / 2 : 10;
    node("rect", {x: x(sel.start) - half, y: top, width: x(sel.end) - x(sel.start) + 2 * half,
                  height: height - top - bottom, "class": "range"}, svg);
    node("line", {x1: left, x2: width - right, y1: y(0), y2: y(0), "class": "zero"}, svg);
    node("line", {x1: left, x2: width - right, y1: y(sel.threshold), y2: y(sel.threshold),
                  "class": "threshold"}, svg);
    node("text", {x: width - right, y: y(sel.threshold) - 3, "text-anchor": "end",
                  "class": "label"}, svg, "threshold " + sel.threshold);
    [lo, hi].forEach(function (v) {
      node("text", {x: left - 4, y: y(v) + 4, "text-anchor": "end", "class": "label"}, svg,
           Number(v.toPrecision(2)));
    });
    cells.forEach(function (c, k) {
      var points = [];
      for (var t = a; t <= b; t++) points.push(x(t).toFixed(1) + "," + y(value(t, c)).toFixed(1));
      var line = node("polyline", {points: points.join(" "), "class": "cell-line",
                                   "data-cell": c,
                                   stroke: "hsl(" + (k * 137.5 % 360) + ",60%,40%)"}, svg);
      node("title", {}, line, "cell " + c);
    });
    var every = Math.max(1, Math.ceil((b - a + 1) / 40));
    for (var t = a; t <= b; t += every) {
      node("text", {x: x(t), y: height - bottom + 14, "text-anchor": "middle",
                    "class": "token"}, svg, shown(D.tokens[t - D.start]).slice(0, 6));
    }
    node("text", {x: left, y: height - 4, "class": "label"}, svg,
         "steps " + a + ".." + b + (sel.cells.length > MAX_LINES ? "; first " + MAX_LINES +
         " of " + sel.cells.length + " cells drawn" : ""));
  }

  window.skexplainViews = {colour: colour, plot: plot, f16round: Math.f16round || f16round,
                           f16roundFallback: f16round};
})();
