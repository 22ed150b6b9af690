"""What `make demo` must end with, checked in headless Chromium: the move page shows every sample machine moved, with
its target VM, downtime, data-loss window and timeline (used by tests/integration/test_secrets.py, which runs the demo).

Usage: python tests/demo/check_report.py REPORT_DIR"""

import json
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import report_browser  # noqa: E402  (a helper script of the tests)

MACHINES = ("vm-app-lnx01", "vm-app-lnx02", "vm-app-win01", "vm-app-win02")
TIMELINE = ["replication_start", "initial_replication_done", "test_drill", "shutdown", "failover", "commit", "migration_complete"]


def check_move_page(report_dir, machines=MACHINES):
    """Asserts the demo's move page; returns the screenshot's path."""
    report_dir = Path(report_dir)
    move = json.loads((report_dir / "move.json").read_text(encoding="utf-8"))
    assert sorted(m["name"] for m in move["machines"]) == sorted(machines), [m["name"] for m in move["machines"]]
    for m in move["machines"]:
        assert m["status"] == "moved" and m["target_vm"]["id"] and m["target_vm"]["private_ips"], m
        assert m["cutover"]["downtime_seconds"] is not None and m["cutover"]["data_loss_seconds"] is not None, m
        assert all(m["timeline"][k] for k in TIMELINE), m["timeline"]
        assert m["decommission"] and m["decommission"]["deleted"].get("vm"), m
    page = report_dir / "move.html"
    dom = report_browser.dump_dom(str(page))
    table = re.search(r'<table class="fixed" id="machines">(.*?)</table>', dom, re.S).group(1)
    for name in machines:
        row = re.search(r'<tr data-machine="%s">(.*?)</tr>' % re.escape(name), table, re.S)
        assert row, name
        cells = row.group(1)
        assert ">moved<" in cells and "/virtualMachines/%s" % name in cells, cells
        downtime = re.search(r'<td class="downtime">(.*?)</td>', cells, re.S).group(1)
        loss = re.search(r'<td class="data-loss">(.*?)</td>', cells, re.S).group(1)
        assert re.match(r"\d+ (s|min)", downtime) and re.match(r"\d+ (s|min)", loss), (downtime, loss)
        lane = re.search(r'<g class="lane" data-machine="%s">(.*?)</g>' % re.escape(name), dom, re.S)
        assert lane and all('data-event="%s"' % k in lane.group(1) for k in TIMELINE), name
    png = report_browser.screenshot(str(page), report_dir / "move.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    return png


if __name__ == "__main__":
    print(check_move_page(sys.argv[1]))
