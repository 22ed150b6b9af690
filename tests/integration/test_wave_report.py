"""The wave status report against the simulator: a protected wave with two machines test-failed-over, the report
written (JSON and HTML, changed once, then not), and the page opened in headless Chromium as a person would."""

import json
import os
import re
import stat
import sys

import pytest

from conftest import ROOT, assert_ok
from test_lifecycle import results
from test_replication import extra

sys.path.insert(0, str(ROOT / "tests"))
import report_browser  # noqa: E402  (a helper script of the tests, not a package)

VAULT, TARGET_RG = "rsv-report", "rg-report-eastus"
WAVE = ["vm-app-lnx01", "vm-app-win01", "vm-app-win02"]
# Two of the wave's three machines are protected (fewer is faster); vm-app-win02 never was: it shows as missing.
PROTECTED = [{"name": "vm-app-win01", "ip": "10.10.1.4", "os": "Windows", "account": "winadmin", "subnet": "snet-app"},
             {"name": "vm-app-lnx01", "ip": "10.10.2.4", "os": "Linux", "account": "linuxroot", "subnet": "snet-linux"}]
TESTED = ["vm-app-win01"]


@pytest.fixture(scope="module")
def reported(runner_module, simulator, admin, tmp_path_factory):
    """(results of wave_report.yml, work dir): win01 test-failed-over, lnx01 protected, win02 not replicated."""
    runner, tmp_path = runner_module
    # As test_lifecycle.protected_wave (modernized provider), with two machines.
    admin.seed({"public": {"resource_groups": [{"name": TARGET_RG, "location": "eastus"}]}})
    done = runner.run("replication_wave.yml", extra(simulator, tmp_path, vault=VAULT, target_rg=TARGET_RG, provider="modernized",
                                                    machines=PROTECTED, run_label="setup"))
    assert_ok(done)
    done = runner.run("lifecycle.yml", extra(simulator, tmp_path, vault=VAULT, run_label="tfo", steps=["test", "verify"], names=TESTED))
    assert_ok(done)
    assert results(tmp_path, "tfo")["tested"]["counts"]["ready"] == 1
    done = runner.run("wave_report.yml", extra(simulator, tmp_path, vault=VAULT))
    assert_ok(done)
    return json.loads((tmp_path / "wave-report-results.json").read_text()), tmp_path


@pytest.fixture(scope="module")
def runner_module(simulator, tmp_path_factory):
    from conftest import Runner
    tmp_path = tmp_path_factory.mktemp("wave-report")
    return Runner(simulator, tmp_path), tmp_path


def test_report_json_per_machine_and_per_wave(reported):
    res, tmp_path = reported
    first = res["first"]
    assert first["changed"]
    report_dir = tmp_path / "reports"
    assert first["html_path"] == str(report_dir / "wave-1.html") and first["json_path"] == str(report_dir / "wave-1.json")
    for path in (res["everything"]["html_path"], res["everything"]["json_path"]):  # (wave-1's are 0640 by then)
        assert oct(os.stat(path).st_mode & 0o777) == "0o644"
    assert not [p for p in os.listdir(report_dir) if p.endswith(".tmp")]
    on_disk = json.loads((report_dir / "wave-1.json").read_text())
    assert on_disk == first["report"]

    machines = {m["name"]: m for m in on_disk["machines"]}
    assert sorted(machines) == WAVE
    win01 = machines["vm-app-win01"]
    assert win01["phase"] == "test_failover_pending_cleanup" and win01["progress_percent"] == 100
    assert win01["last_test_failover"]["result"] == "Succeeded" and win01["last_test_failover"]["job"]
    assert win01["blockers"] == ["test failover pending cleanup"] and win01["next_step"] == "failover"
    steps = {t["step"]: t for t in win01["timings"]}
    assert list(steps) == ["enable_replication", "initial_replication", "test_failover"]
    assert steps["enable_replication"]["state"] == "Succeeded" and steps["enable_replication"]["end"]
    assert steps["test_failover"]["job"] == win01["last_test_failover"]["job"]
    assert steps["test_failover"]["duration_seconds"] is not None
    lnx01 = machines["vm-app-lnx01"]
    assert lnx01["phase"] == "protected" and lnx01["last_test_failover"] is None and lnx01["blockers"] == []
    assert lnx01["next_step"] == "test failover" and lnx01["progress_percent"] == 100
    assert [t["step"] for t in lnx01["timings"]] == ["enable_replication", "initial_replication"]
    for name in ("vm-app-win01", "vm-app-lnx01"):
        m = machines[name]
        assert m["target_vm"] == name and m["health"] == "Normal" and m["last_recovery_point"] and m["rpo_seconds"] is not None
        assert m["target"]["network"] == "vnet-landing-eastus" and m["target"]["resource_group"] == TARGET_RG
    win02 = machines["vm-app-win02"]
    assert win02["phase"] == "missing" and win02["blockers"] == ["not replicated: the vault has no replicated item for it"]
    wave = on_disk["wave"]
    assert wave["vault"] == VAULT and wave["counts"] == {"protected": 1, "test_failover_pending_cleanup": 1, "missing": 1}
    assert [b["machine"] for b in wave["blockers"]] == ["vm-app-win01", "vm-app-win02"] and wave["ready"] == 1
    deps = on_disk["dependencies"]
    assert deps["scope"] == ["vm-app-lnx01", "vm-app-win01"]
    assert any(r["name"] == "lbi-app-gov" and r["used_outside_scope_by"] == ["vm-app-win02"] for r in deps["resources"])


def test_check_mode_writes_nothing_and_a_rerun_with_nothing_new_changes_nothing(reported):
    res, _tmp_path = reported
    assert res["checked"]["changed"] and res["checked"]["report"]["machines"]
    assert res["again"]["changed"] is False
    # The files were not rewritten: the report returned is the one on disk, with its first time.
    assert res["again"]["report"]["generated_at"] == res["first"]["report"]["generated_at"]
    assert res["again"]["report"]["wave"] == res["first"]["report"]["wave"]
    everything = res["everything"]
    assert everything["changed"] and everything["html_path"].endswith("/reports/wave-report.html")
    assert sorted(m["name"] for m in everything["report"]["machines"]) == ["vm-app-lnx01", "vm-app-win01"]
    assert everything["report"]["title"] == "Wave status: %s" % VAULT and everything["report"]["dependencies"] is None

    # The task's mode: the pages and JSON get it (a change, with no page rewritten), and a second run changes nothing.
    assert res["group_default"]["changed"] and res["group_only"]["changed"] and not res["group_only_again"]["changed"]
    assert res["group_only"]["report"]["generated_at"] == res["group_default"]["report"]["generated_at"]
    modes = {f.name: stat.S_IMODE(f.stat().st_mode) for f in (_tmp_path / "reports-group").iterdir() if f.is_file()}
    assert modes == {"wave-1.html": 0o640, "wave-1.json": 0o640, "move.html": 0o640, "move.json": 0o640}, modes


def test_the_page_in_a_browser_shows_each_machine_its_phase_the_counts_and_the_picture(reported):
    assert report_browser.find_chromium(), "Chromium is needed (Debian package chromium; make integration installs it)"
    res, tmp_path = reported
    page = res["first"]["html_path"]
    text = open(page, encoding="utf-8").read()
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", text, re.I) and "<script" not in text.lower()
    dom = report_browser.dump_dom(page)
    assert "<title>Wave 1 &lt;application servers&gt;</title>" in dom
    phases = {"vm-app-win01": "test failover pending cleanup", "vm-app-lnx01": "protected", "vm-app-win02": "missing"}
    for name, phase in phases.items():
        row = re.search(r'<tr data-machine="%s">(.*?)</tr>' % re.escape(name), dom, re.S)
        assert row, name
        assert re.search(r'<span class="phase phase-[a-z_]+">%s</span>' % phase, row.group(1)), row.group(1)
        assert ("100 %" in row.group(1)) == (name != "vm-app-win02")
    counts = dict(re.findall(r'<tr data-phase="([a-z_]+)">.*?<td class="n">(\d+)</td></tr>', dom, re.S))
    assert counts == {"protected": "1", "test_failover_pending_cleanup": "1", "missing": "1"}
    blockers = re.search(r'<div id="blockers">(.*?)</div>', dom, re.S).group(1)
    assert "test failover pending cleanup" in blockers and "not replicated" in blockers and "vm-app-lnx01" not in blockers
    assert dom.count('<tr data-machine="vm-app-win01" data-step=') == 3
    svg = re.search(r'<svg id="dependency-graph".*?</svg>', dom, re.S)
    assert svg, "no dependency picture"
    for name in ("vm-app-win01", "vm-app-lnx01", "vm-app-win02", "lbi-app-gov"):
        assert 'data-name="%s"' % name in svg.group(0), name
    assert svg.group(0).count('class="edge"') >= 4
    png = report_browser.screenshot(page, tmp_path / "wave-1.png")
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 30000, len(data)


def test_the_side_by_side_section_in_a_browser(tmp_path):
    """A machine's plan side by side in Chromium: collapsed when nothing differs, open with the difference highlighted
    when something does, a hostile tag value shown as text, and still nothing reached outside the page."""
    assert report_browser.find_chromium(), "Chromium is needed (Debian package chromium; make integration installs it)"
    sys.path.insert(0, str(ROOT / "tests" / "unit"))
    import test_report_side_by_side as side  # noqa: E402  (its realistic mapping)
    from ansible_collections.azmove.site_recovery.plugins.module_utils import _report

    state = tmp_path / "machines"
    side.write_mapping(state, "vm-same")
    odd = side.write_mapping(state, "vm-odd")
    odd["target"]["disks"][1]["size_gb"] = 32
    side.mm.write_state(side.FakeModule(), str(state), "vm-odd", "mapping", odd)
    page = tmp_path / "side.html"
    page.write_text(_report.render_html(_report.build([], [], side.WAVE, generated_at=side.GENERATED,
                                                      names=["vm-same", "vm-odd", "vm-none"], state_dir=str(state))))
    text = page.read_text()
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", text, re.I) and "<script" not in text.lower()
    dom = report_browser.dump_dom(str(page))
    assert "<script" not in dom.lower() and "&lt;script&gt;" in dom
    assert re.search(r'<details class="st" data-machine="vm-same">', dom)
    odd_section = re.search(r'<details class="st" data-machine="vm-odd" open="">(.*?)</details>', dom, re.S)
    assert odd_section, "the machine with a difference is not open"
    assert re.search(r'<tr class="st-different" data-field="data_disks\[lun=0\]">.*?64 GB.*?32 GB', odd_section.group(1), re.S)
    assert "No plan yet (prepare writes one): vm-none" in dom
    png = report_browser.screenshot(str(page), tmp_path / "side.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_move_page_and_each_machine_record_are_written_beside_the_wave_page(reported):
    res, tmp_path = reported
    report_dir = tmp_path / "reports"
    records = sorted(p.name for p in (report_dir / "state").iterdir())
    assert records == ["vm-app-lnx01.json", "vm-app-win01.json", "vm-app-win02.json"]
    win01 = json.loads((report_dir / "state" / "vm-app-win01.json").read_text())
    assert win01["timeline"]["replication_start"] and win01["timeline"]["test_drill"]
    assert win01["initial_replication"]["done_at"] and win01["initial_replication"]["bytes"] > 0
    assert win01["initial_replication"]["throughput_bytes_per_second"] > 0
    move = json.loads((report_dir / "move.json").read_text())
    assert sorted(m["name"] for m in move["machines"]) == WAVE
    assert res["first"]["move"]["history"] and (report_dir / "history" / res["first"]["move"]["history"][0]).is_file()
    # Nothing new the second time: no new dated copy.
    assert res["again"]["move"]["history"] == res["first"]["move"]["history"]
    assert res["first"]["summary"][0] == "3 machines: 0 moved, 1 ready for their next step, 2 blocked"
    assert res["first"]["summary"][-1] == "report: %s" % (report_dir / "move.html")


# Measures the page as laid out in a 1280-pixel window; only in a copy the test makes (the report has no script).
MEASURE = """<script>document.addEventListener('DOMContentLoaded', function () {
  var s = document.getElementById('summary'), d = document.documentElement;
  document.body.setAttribute('data-measured', [s.scrollWidth, s.clientWidth, d.scrollWidth, d.clientWidth].join(' '));
});</script>"""


def test_a_move_of_300_machines_renders_fast_and_its_summary_needs_no_horizontal_scroll(tmp_path):
    """Generated records of 300 machines in 10 waves: the page's size, the time Chromium takes to lay it out, and the
    summary table, the machines table and the page no wider than the window."""
    import time
    sys.path.insert(0, str(ROOT / "tests" / "unit"))
    import test_report_move as fleet  # noqa: E402  (its generated fleet)
    from ansible_collections.azmove.site_recovery.plugins.module_utils import _report_move as mv

    move = mv.build_move(fleet.fleet(300), fleet.at(2000), None, ["2026-05-04T09-00-00Z.json"], set())
    page = tmp_path / "move.html"
    page.write_text(mv.render_move_html(move))
    size = page.stat().st_size
    measured = tmp_path / "measured.html"
    measured.write_text(page.read_text().replace("</body>", MEASURE + "</body>"))
    started = time.monotonic()
    dom = report_browser._run(str(measured), ["--dump-dom", "--window-size=1280,900"], 120).stdout
    seconds = time.monotonic() - started
    print("300 machines: %d bytes, laid out in %.1f s" % (size, seconds))
    assert size < 1500 * 1024 and seconds < 20, (size, seconds)
    widths = [int(x) for x in re.search(r'data-measured="([\d ]+)"', dom).group(1).split()]
    assert widths[0] <= widths[1] and widths[2] <= widths[3], widths
    assert dom.count('<g class="lane"') == 300
