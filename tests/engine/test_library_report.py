"""engine.library_report: summary.csv columns and rows, the static contact sheet."""

import csv
import io
from html.parser import HTMLParser

from engine.library_report import contact_sheet_html, counts, summary_csv

RESULTS = [
    {"file": "lib/cow.glb", "status": "ok", "error": "", "output": "cow.glb", "report": "cow.json",
     "preview": "cow.png", "vertices": 1200, "bones": 14, "parts": 9,
     "timings": {"parts": 10.5, "skeleton": 0.2, "skinning": 1.25}, "warnings": ["a, \"quoted\"\nwarning", "two"],
     "seconds": 13.37},
    {"file": "lib/sub/big fish.glb", "status": "ok", "output": "sub/big fish.glb", "preview": "sub/big fish.png",
     "vertices": 500000, "bones": 7, "parts": 6,
     "timings": {"proxy": 1.0, "parts": 9.0, "skeleton": 0.1, "skinning": 2.0, "transfer": 0.5},
     "warnings": [], "seconds": 15.0},
    {"file": "lib/<bad>.glb", "status": "failed", "error": "could not read <bad>.glb:\n bad header",
     "output": "<bad>.glb", "preview": None, "timings": {}, "warnings": []},
    {"file": "lib/old.glb", "status": "skipped", "output": "old.glb", "report": "old.json", "preview": None,
     "vertices": 10, "bones": 2, "parts": 2, "timings": {"parts": 1.0}, "warnings": []},
]


def test_summary_csv_has_one_row_per_file_with_stage_times_in_pipeline_order():
    text = summary_csv(RESULTS)
    reader = csv.DictReader(io.StringIO(text))
    assert reader.fieldnames == ["file", "status", "error", "output", "vertices", "bones", "parts", "proxy_s",
                                 "parts_s", "skeleton_s", "skinning_s", "transfer_s", "total_s", "warnings"]
    rows = list(reader)
    assert [r["status"] for r in rows] == ["ok", "ok", "failed", "skipped"]
    cow, fish, bad, old = rows
    assert (cow["vertices"], cow["bones"], cow["parts"]) == ("1200", "14", "9")
    assert (cow["parts_s"], cow["skinning_s"], cow["proxy_s"], cow["total_s"]) == ("10.5", "1.25", "", "13.37")
    assert cow["warnings"] == 'a, "quoted" warning | two'  # one line per file
    assert fish["transfer_s"] == "0.5" and fish["output"] == "sub/big fish.glb"
    assert bad["error"] == "could not read <bad>.glb: bad header" and bad["output"] == "" and bad["bones"] == ""
    assert old["total_s"] == "" and old["parts_s"] == "1.0"
    assert len(text.splitlines()) == 5
    assert counts(RESULTS) == {"ok": 2, "failed": 1, "skipped": 1}


class _Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.img, self.links, self.tags = [], [], set()

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.add(tag)
        if tag == "img":
            self.img.append(a["src"])
        if tag == "a":
            self.links.append(a["href"])


def test_contact_sheet_links_previews_relatively_and_escapes_names():
    page = contact_sheet_html(RESULTS, "rigs <of> lib")
    p = _Page()
    p.feed(page)
    assert p.img == ["cow.png", "sub/big%20fish.png"]  # no picture for failed or preview-less files
    assert "cow.glb" in p.links and "cow.json" in p.links and "summary.csv" in p.links
    assert "script" not in p.tags
    assert "<bad>" not in page and "&lt;bad&gt;.glb" in page
    assert "rigs &lt;of&gt; lib" in page
    assert "2 rigged, 1 skipped (already rigged), 1 failed" in page
    assert page.count('class="card') == 4
