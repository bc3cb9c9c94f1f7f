"""``gobinopt explain BINARY --html FILE``: one self-contained page with an interactive treemap.

The page inlines Apache ECharts (vendored unmodified under ``report/vendor``) and the
``gobinopt.explain/v1`` document of the binary with every function (``--json --top 0``), so it
opens offline. The browser builds the tree module → package → function from that document (the
module of a package is the longest module path of the build info that prefixes it; standard
library packages are "std"), draws it as a zoomable treemap (click to zoom, breadcrumb to go
back); a second view ("File by package", or the page opened with ``#file``) draws every byte of
the file by module → package → area (code, pclntab, type metadata, data, symbols, DWARF) from
the document's ``attribution``, with the named tables and the bytes not attributed. Beside it
the file's sections by category; below, the build info, the savings and the notes. Hovering a
tile shows its bytes and its share of the file and of ``.text``.

A UPX-packed file's page shows the inner program (``inner`` of the document) with the packed
size in its heading.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from gobinopt.errors import BadInputError
from gobinopt.explain.document import to_document
from gobinopt.explain.interface import Explanation

#: The vendored library inlined into every page (Apache-2.0, see report/vendor/README.md).
LIBRARY = "echarts.min.js"
#: The id of the ``<script type="application/json">`` element that carries the document.
DATA_ID = "gobinopt-data"


@dataclass(frozen=True, slots=True)
class HtmlPage:
    """What :func:`write_html` wrote."""

    path: Path
    bytes: int
    functions: int


def page_document(ex: Explanation) -> dict[str, Any]:
    """The document embedded in the page: ``explain --json --top 0``, with the inner program of
    a packed file under ``inner``."""
    doc = to_document(ex, top=0)
    if ex.inner is not None and "inner" not in doc:
        doc["inner"] = to_document(ex.inner, top=0)
    return doc


def _script_json(doc: dict[str, Any]) -> str:
    """JSON safe inside a ``<script>`` element (no ``</script>``, no ``<!--``)."""
    text = json.dumps(doc, separators=(",", ":"), ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _library() -> str:
    return resources.files("gobinopt.report").joinpath("vendor", LIBRARY).read_text("utf-8")


def render_html(ex: Explanation) -> str:
    """The whole page as text."""
    name = Path(ex.path.removesuffix(" (unpacked by upx -d)")).name or ex.path
    return (
        _TEMPLATE.replace("@@TITLE@@", html.escape(f"{name}: where the bytes go"))
        .replace("@@LIBRARY@@", _library())
        .replace("@@DATA@@", _script_json(page_document(ex)))
        .replace("@@APP@@", _APP)
    )


def write_html(ex: Explanation, path: Path) -> HtmlPage:
    """Write the page to ``path`` (already checked writable by the caller)."""
    text = render_html(ex)
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise BadInputError(
            f"{path}: cannot write the HTML page ({exc.strerror or exc})",
            hint="pass a path in a writable directory",
        ) from None
    shown = ex.inner if ex.inner is not None else ex
    nfunc = len(shown.pclntab.functions) if shown.pclntab is not None else 0
    return HtmlPage(path, len(text.encode("utf-8")), nfunc)


_TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="gobinopt explain --html">
<title>@@TITLE@@</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:0 16px;color:#222}
h1{font-size:18px;margin:12px 0 2px}h2{font-size:15px;margin:16px 0 4px}
#meta{color:#555;margin-bottom:6px}
#views{margin:4px 0}#views button{font:inherit;padding:1px 8px}#views button.on{font-weight:bold}
#charts{display:grid;grid-template-columns:minmax(0,7fr) minmax(0,3fr);gap:12px;height:72vh}
#treemap,#sections{height:100%;border:1px solid #ddd}
table{border-collapse:collapse;font-size:13px}
td,th{padding:2px 8px;border-bottom:1px solid #eee;text-align:left;vertical-align:top}
td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap;overflow-wrap:normal}
#lower{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr);gap:16px}
td{overflow-wrap:anywhere}
</style>
</head>
<body>
<h1 id="title"></h1>
<div id="meta"></div>
<div id="views"><button id="view-code" type="button">Code by function</button>
<button id="view-file" type="button">File by package</button> <span id="attributed"></span></div>
<div id="charts"><div id="treemap" role="img" aria-label="code by module, package and function">
</div><div id="sections" role="img" aria-label="file bytes by category and section"></div></div>
<div id="lower"><div><h2>What each knob would save</h2><table id="savings"></table>
<h2>Notes</h2><ul id="notes"></ul></div>
<div><h2>Build info</h2><table id="buildinfo"></table></div></div>
<script id="gobinopt-data" type="application/json">@@DATA@@</script>
<script>@@LIBRARY@@</script>
<script>@@APP@@</script>
</body>
</html>
"""

_APP = r"""
(function () {
  "use strict";
  var t0 = performance.now();
  var outer = JSON.parse(document.getElementById("gobinopt-data").textContent);
  var doc = outer.inner || outer;
  var fileSize = doc.file.size || 1;
  var text = doc.code ? doc.code.text_size : 0;
  function b(n) { return n.toLocaleString("en-US"); }
  function pct(n, w) { return w ? (100 * n / w).toFixed(2) + "%" : "-"; }
  function el(tag, textContent, cls) {
    var e = document.createElement(tag);
    if (textContent !== undefined) e.textContent = textContent;
    if (cls) e.className = cls;
    return e;
  }
  function row(table, cells, numeric) {
    var tr = el("tr");
    cells.forEach(function (c, i) { tr.appendChild(el("td", String(c), numeric[i] ? "n" : "")); });
    table.appendChild(tr);
  }

  // Heading: the file, its format and (packed) both sizes.
  var name = outer.file.path.split("/").pop();
  document.getElementById("title").textContent = name + ": where the bytes go";
  var meta = outer.file.format.toUpperCase() + " " + outer.file.bits + "-bit " +
    outer.file.machine + ", " + b(outer.file.size) + " bytes";
  if (outer.inner) {
    meta += ", packed by " + outer.file.packer + "; unpacked " + b(doc.file.size) +
      " bytes (the program drawn here)";
  }
  if (doc.buildinfo) meta += " · Go " + doc.buildinfo.go_version;
  if (doc.code) {
    meta += " · .text " + b(text) + " bytes (" + pct(text, fileSize) + " of the file), " +
      b(doc.functions.length) + " functions";
  }
  document.getElementById("meta").textContent = meta;

  // module -> package -> function, modules from the build info (longest prefix wins).
  var modules = [];
  if (doc.buildinfo) {
    if (doc.buildinfo.main) modules.push(doc.buildinfo.main.path);
    doc.buildinfo.deps.forEach(function (d) { modules.push(d.path); });
  }
  modules.sort(function (a, c) { return c.length - a.length; });
  var mainModule = doc.buildinfo && doc.buildinfo.main ? doc.buildinfo.main.path : "main";
  function moduleOf(pkg) {
    if (!pkg) return "(no package)";
    if (pkg === "main") return mainModule;
    for (var i = 0; i < modules.length; i++) {
      var m = modules[i];
      if (pkg === m || pkg.lastIndexOf(m + "/", 0) === 0) return m;
    }
    return pkg.split("/")[0].indexOf(".") < 0 ? "std" : "(other modules)";
  }
  var tree = {}, leaves = 0;
  doc.functions.forEach(function (f) {
    var mod = moduleOf(f.package), pkg = f.package || "(no package)";
    var m = tree[mod] || (tree[mod] = {});
    (m[pkg] || (m[pkg] = [])).push({ name: f.name, value: f.size });
    leaves++;
  });
  function bySize(a, c) { return c.value - a.value; }
  var data = Object.keys(tree).map(function (mod) {
    var pkgs = Object.keys(tree[mod]).map(function (pkg) {
      var fns = tree[mod][pkg].sort(bySize);
      var v = fns.reduce(function (s, f) { return s + f.value; }, 0);
      return { name: pkg, value: v, children: fns };
    }).sort(bySize);
    return { name: mod, value: pkgs.reduce(function (s, p) { return s + p.value; }, 0),
             children: pkgs };
  }).sort(bySize);
  if (doc.code && doc.code.non_go_code) {
    data.push({ name: "non-Go code and padding", value: doc.code.non_go_code });
  }

  function tip(info) {
    var path = info.treePathInfo.slice(1).map(function (p) { return p.name; }).join(" › ");
    var v = info.value;
    return echarts.format.encodeHTML(path) + "<br>" + b(v) + " bytes · " + pct(v, fileSize) +
      " of the file" + (text ? " · " + pct(v, text) + " of .text" : "");
  }
  var big = leaves > 20000;
  var opts = { renderer: big ? "canvas" : "svg" };
  // Milliseconds since navigation start when both charts are drawn, for tests and benchmarks.
  var pending = 2;
  function painted() {
    if (--pending === 0) {
      document.body.dataset.renderedMs = Math.round(performance.now());
      document.body.dataset.scriptMs = Math.round(performance.now() - t0);
    }
  }
  // File by package: module -> package -> area (code, pclntab, type metadata, data, symbols,
  // DWARF), the named tables and what is not attributed, from the document's attribution.
  var fileData = null, att = doc.attribution;
  if (att) {
    var areas = ["code", "pclntab", "types", "data", "symbols", "dwarf"];
    var byMod = {};
    att.packages.forEach(function (p) {
      var kids = areas.filter(function (a) { return p[a]; }).map(function (a) {
        return { name: a, value: p[a] };
      }).sort(bySize);
      var mod = moduleOf(p.name);
      (byMod[mod] || (byMod[mod] = [])).push({ name: p.name || "(no package)", value: p.total,
                                               children: kids });
    });
    fileData = Object.keys(byMod).map(function (mod) {
      var pkgs = byMod[mod].sort(bySize);
      return { name: mod, value: pkgs.reduce(function (s, p) { return s + p.value; }, 0),
               children: pkgs };
    });
    var tables = att.tables.map(function (t) { return { name: t.name, value: t.bytes }; });
    if (tables.length) {
      fileData.push({ name: "named tables", children: tables.sort(bySize),
                      value: tables.reduce(function (s, t) { return s + t.value; }, 0) });
    }
    var rest = fileSize - att.to_packages - att.to_tables;
    if (rest > 0) fileData.push({ name: "not attributed", value: rest });
    fileData.sort(bySize);
    document.getElementById("attributed").textContent = "attributed: " +
      pct(att.to_packages + att.to_tables, fileSize) + " of the file";
  }
  var views = {
    code: { data: data, title: "Code by module › package › function (click to zoom)",
            name: ".text" },
    file: { data: fileData, title: "File bytes by module › package › area (click to zoom)",
            name: "file" }
  };
  var chart = echarts.init(document.getElementById("treemap"), null, opts);
  function draw(view) {
    var v = views[view];
    chart.clear();
    chart.setOption({
      animation: false,
      title: { text: v.title, left: 4, top: 2, textStyle: { fontSize: 13 } },
      tooltip: { formatter: tip },
      series: [{
        type: "treemap", name: v.name, top: 28, left: 2, right: 2, bottom: 26,
        data: v.data, roam: false, nodeClick: "zoomToNode", leafDepth: 2,
        visibleMin: 400, childrenVisibleMin: 1200,
        breadcrumb: { bottom: 2 },
        label: { show: true, formatter: "{b}" },
        upperLabel: { show: true, height: 18 },
        levels: [
          { itemStyle: { borderColor: "#555", borderWidth: 2, gapWidth: 2 } },
          { colorSaturation: [0.35, 0.6], itemStyle: { borderColorSaturation: 0.7, gapWidth: 1,
            borderWidth: 1 } },
          { colorSaturation: [0.3, 0.5], itemStyle: { borderColorSaturation: 0.6, gapWidth: 0,
            borderWidth: 1 } }
        ],
      }]
    });
    ["code", "file"].forEach(function (k) {
      document.getElementById("view-" + k).className = k === view ? "on" : "";
    });
    document.body.dataset.view = view;
  }
  var fileButton = document.getElementById("view-file");
  if (!fileData) fileButton.disabled = true;
  document.getElementById("view-code").onclick = function () { draw("code"); };
  fileButton.onclick = function () { if (fileData) draw("file"); };
  draw(location.hash === "#file" && fileData ? "file" : "code");
  painted();  // ECharts draws synchronously in setOption when animation is off

  // Sections beside it: category -> section, file bytes.
  var cats = {};
  doc.parts.forEach(function (p) {
    if (!p.file_size) return;
    (cats[p.category] || (cats[p.category] = [])).push({ name: p.name, value: p.file_size });
  });
  var secData = Object.keys(cats).map(function (c) {
    var kids = cats[c].sort(bySize);
    return { name: c, value: kids.reduce(function (s, k) { return s + k.value; }, 0),
             children: kids };
  }).sort(bySize);
  var side = echarts.init(document.getElementById("sections"), null, { renderer: "svg" });
  side.setOption({
    animation: false,
    title: { text: "File bytes by category › section", left: 4, top: 2,
             textStyle: { fontSize: 13 } },
    tooltip: { formatter: tip },
    series: [{
      type: "treemap", name: "file", top: 28, left: 2, right: 2, bottom: 26, data: secData,
      roam: false, nodeClick: "zoomToNode", leafDepth: 2, breadcrumb: { bottom: 2 },
      upperLabel: { show: true, height: 18 },
      levels: [{ itemStyle: { borderColor: "#555", borderWidth: 2, gapWidth: 2 } },
               { colorSaturation: [0.35, 0.6], itemStyle: { gapWidth: 1 } }]
    }]
  });
  painted();
  window.addEventListener("resize", function () { chart.resize(); side.resize(); });

  // Savings, notes, build info.
  var sav = document.getElementById("savings");
  row(sav, ["knob", "bytes", "share", "basis", "how"], []);
  outer.savings.concat(outer.inner ? outer.inner.savings : []).forEach(function (s) {
    row(sav, [s.knob, b(s.bytes), pct(s.bytes, fileSize), s.basis, s.how], [0, 1, 1]);
  });
  var notes = document.getElementById("notes");
  outer.notes.concat(outer.inner ? outer.inner.notes : []).forEach(function (n) {
    notes.appendChild(el("li", n));
  });
  var bi = document.getElementById("buildinfo");
  if (doc.buildinfo) {
    var info = doc.buildinfo;
    row(bi, ["go", info.go_version], []);
    row(bi, ["path", info.path || "-"], []);
    if (info.main) row(bi, ["module", info.main.path + " " + info.main.version], []);
    info.settings.forEach(function (kv) { row(bi, kv, []); });
    info.deps.forEach(function (d) { row(bi, ["dep", d.path + " " + d.version], []); });
  } else {
    row(bi, ["-", "no Go build info in this file"], []);
  }
  document.body.dataset.leaves = leaves;
  document.body.dataset.renderer = opts.renderer;
})();
"""
