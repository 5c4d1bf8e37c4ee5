"""A rigged library at a glance: ``summary.csv`` and a static HTML contact sheet.

Pure Python (no bpy, no numpy): ``sp4d autorig --out-dir`` hands over one result dict per
input file and writes the two texts next to the rigs. A result dict holds:

- ``file``: the input path; ``status``: "ok", "failed" or "skipped" (already rigged,
  ``--resume``); ``error``: one line for a failed file ("" otherwise)
- ``output``, ``report``, ``preview``: paths relative to the report's folder (or None)
- ``vertices``, ``bones``, ``parts``: counts (None when unknown, e.g. failed)
- ``timings``: stage -> seconds (the engine's stages: parts, skeleton, skinning...);
  ``seconds``: the file's wall time in its worker (reading to writing)
- ``warnings``: list of strings
"""

from __future__ import annotations

import csv
import html
import io
import os
from urllib.parse import quote

STATUSES = ("ok", "failed", "skipped")
STAGE_ORDER = ("proxy", "parts", "skeleton", "skinning", "transfer")
WARNING_SEPARATOR = " | "


def stage_names(results) -> list[str]:
    """Every stage timed in ``results``, in pipeline order (unknown stages last, sorted)."""
    seen = {k for r in results for k in (r.get("timings") or {})}
    known = [s for s in STAGE_ORDER if s in seen]
    return known + sorted(seen - set(known))


def summary_columns(results) -> list[str]:
    return (["file", "status", "error", "output", "vertices", "bones", "parts"]
            + [f"{s}_s" for s in stage_names(results)] + ["total_s", "warnings"])


def _number(value, digits: int = 3):
    return "" if value is None else round(float(value), digits)


def summary_rows(results) -> list[dict]:
    """One flat dict per result, keyed by ``summary_columns``."""
    stages = stage_names(results)
    rows = []
    for r in results:
        status = r.get("status", "failed")
        if status not in STATUSES:
            raise ValueError(f"unknown status {status!r}")
        timings = r.get("timings") or {}
        row = {"file": r.get("file", ""), "status": status, "error": " ".join(str(r.get("error") or "").split()),
               "output": r.get("output") or "" if status != "failed" else "",
               "vertices": r.get("vertices", ""), "bones": r.get("bones", ""), "parts": r.get("parts", "")}
        row.update({f"{s}_s": _number(timings.get(s)) for s in stages})
        row["total_s"] = _number(r.get("seconds"), 2)
        row["warnings"] = WARNING_SEPARATOR.join(" ".join(str(w).split()) for w in r.get("warnings") or [])
        rows.append({k: ("" if v is None else v) for k, v in row.items()})
    return rows


def summary_csv(results) -> str:
    """``summary.csv``: a header and one row per result (warnings joined by ' | ')."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=summary_columns(results), lineterminator="\n")
    writer.writeheader()
    writer.writerows(summary_rows(results))
    return buf.getvalue()


def counts(results) -> dict:
    """status -> number of results."""
    out = {s: 0 for s in STATUSES}
    for r in results:
        out[r.get("status", "failed")] = out.get(r.get("status", "failed"), 0) + 1
    return out


def _href(path: str) -> str:
    """A relative link to ``path`` (OS separators to '/', characters escaped)."""
    return quote(path.replace(os.sep, "/"), safe="/._-~")


_CSS = """body{font-family:sans-serif;margin:1.5em;background:#fafafa;color:#222}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(260px,1fr));gap:12px}
.card{background:#fff;border:1px solid #ddd;border-radius:6px;padding:8px;font-size:13px}
.card img{width:100%;height:auto;display:block;background:#eee}
.noimg{height:120px;display:flex;align-items:center;justify-content:center;background:#eee;color:#888}
.failed{border-color:#c33;background:#fff4f4}.skipped{border-color:#aaa}
.name{font-weight:bold;word-break:break-all}.err{color:#a00}.warn{color:#865;font-size:12px}
table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:2px 6px;text-align:left}"""


def contact_sheet_html(results, title: str = "SP4D rigs") -> str:
    """``index.html``: plain static HTML (no script), one card per file with its preview
    (a relative link), counts, warnings and, for a failed file, its error; failed files
    are also listed at the top."""
    e = html.escape
    c = counts(results)
    parts = ["<!DOCTYPE html>", '<html><head><meta charset="utf-8">', f"<title>{e(title)}</title>",
             f"<style>{_CSS}</style></head><body>", f"<h1>{e(title)}</h1>",
             f"<p>{len(results)} files: {c['ok']} rigged, {c['skipped']} skipped (already rigged), "
             f"{c['failed']} failed. Table: <a href=\"summary.csv\">summary.csv</a></p>"]
    failed = [r for r in results if r.get("status") == "failed"]
    if failed:
        parts.append("<h2>Failed</h2><table><tr><th>file</th><th>error</th></tr>")
        parts += [f"<tr><td>{e(str(r.get('file', '')))}</td><td class=\"err\">{e(str(r.get('error') or ''))}</td></tr>"
                  for r in failed]
        parts.append("</table><h2>Rigs</h2>")
    parts.append('<div class="grid">')
    for r in results:
        status = r.get("status", "failed")
        name = os.path.basename(str(r.get("file", "")))
        card = [f'<div class="card {e(status)}">']
        if r.get("preview") and status != "failed":
            img = f'<img src="{e(_href(r["preview"]))}" alt="{e(name)}" loading="lazy">'
            card.append(f'<a href="{e(_href(r["output"]))}">{img}</a>' if r.get("output") else img)
        else:
            card.append(f'<div class="noimg">{"failed" if status == "failed" else "no preview"}</div>')
        card.append(f'<div class="name" title="{e(str(r.get("file", "")))}">{e(name)}</div>')
        if status == "failed":
            card.append(f'<div class="err">{e(str(r.get("error") or "failed"))}</div>')
        else:
            total = r.get("seconds")
            card.append(f"<div>{e(status)}: {r.get('bones', '?')} bones, {r.get('parts', '?')} parts, "
                        f"{r.get('vertices', '?')} vertices" + (f", {float(total):.1f} s" if total else "") + "</div>")
            links = [f'<a href="{e(_href(r[k]))}">{k}</a>' for k in ("output", "report") if r.get(k)]
            if links:
                card.append(f"<div>{' · '.join(links)}</div>")
        for w in r.get("warnings") or []:
            card.append(f'<div class="warn">warning: {e(str(w))}</div>')
        card.append("</div>")
        parts.append("".join(card))
    parts.append("</div></body></html>")
    return "\n".join(parts) + "\n"
