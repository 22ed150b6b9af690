"""The wave report shows each machine's source and target side by side, from the move's state directory: the plan
(mapping.json) before failover, the comparison (comparison.json) after it, every difference highlighted with its
reason, and what the move will not carry. Everything in those files is data from Azure: it is escaped."""

import json
import re

from test_machine_map import FakeModule, context, source

from ansible_collections.azmove.site_recovery.plugins.module_utils import _machine_map as mm
from ansible_collections.azmove.site_recovery.plugins.module_utils import _report

GENERATED = "2026-12-04T20:00:00Z"
WAVE = {"vault": "rsv-wave", "resource_group": "rg-landing-eastus"}
EVIL = '<script>alert("tag")</script>'


def write_mapping(state_dir, name="vm-web01", **more):
    """A realistic mapping: the E-series size the region lacks (closest applied), a dynamic address kept as static,
    accelerated networking, a bookkeeping tag, a hostile tag value, an identity and an extension left behind."""
    src = source(name=name, size="Standard_E4s_v3", memory_gb=32.0,
                 tags={"app": "billing", "owner": EVIL, "azmove-moved-to": "x"}, identity="SystemAssigned",
                 extensions=[{"name": "MicrosoftMonitoringAgent", "type": "MicrosoftMonitoringAgent"}], **more)
    doc, problems = mm.mapping(name, src, context(), computed_at="2026-12-04T19:00:00Z")
    assert problems == []
    mm.write_state(FakeModule(), str(state_dir), name, "mapping", doc)
    return doc


def build(state_dir, names=("vm-web01", "vm-plain")):
    return _report.build([], [], WAVE, generated_at=GENERATED, names=list(names), state_dir=str(state_dir))


def details(page, name):
    found = re.search(r'<details class="st" data-machine="%s"( open)?>(.*?)</details>' % re.escape(name), page, re.S)
    assert found, name
    return found.group(1) == " open", found.group(2)


def field_row(section, field):
    found = re.search(r'<tr class="st-(\w+)" data-field="%s"><td>(.*?)</td><td>(.*?)</td><td>(.*?)</td><td>(.*?)</td></tr>'
                      % re.escape(field), section, re.S)
    assert found, field
    return found.groups()  # status, label, source, target, status cell


def test_before_failover_the_plan_is_side_by_side_with_the_source(tmp_path):
    write_mapping(tmp_path)
    rep = build(tmp_path)
    row = {r["name"]: r for r in rep["machines"]}["vm-web01"]
    st = row["source_target"]
    assert st["basis"] == "planned" and st["counts"]["different"] == 0
    fields = {f["field"]: f for f in st["fields"]}
    # Every field the brief names: size, zone, tags, each NIC, disks, licences.
    for field in ("size", "zone", "tags", "license_type", "sql_license_type", "os_disk", "data_disks[lun=0]",
                  "data_disks[lun=1]", "nics[0].subnet", "nics[0].private_ip", "nics[0].network_security_group",
                  "nics[0].public_ip", "nics[0].primary", "nics[1].subnet", "nics[1].private_ip", "nics[1].primary"):
        assert field in fields, field
    assert (fields["size"]["source"], fields["size"]["target"], fields["size"]["status"]) == (
        "Standard_E4s_v3", "Standard_D8s_v5", "explained")
    assert "Standard_E4s_v3 is not offered in eastus" in fields["size"]["why"]
    assert fields["nics[1].private_ip"]["source"] == "10.20.2.10 (dynamic)"
    assert fields["nics[1].private_ip"]["target"] == "10.20.2.10 (static)"
    assert fields["nics[1].private_ip"]["status"] == "explained" and "dynamic" in fields["nics[1].private_ip"]["why"]
    assert fields["nics[0].private_ip"]["status"] == "same" and fields["nics[0].network_security_group"]["status"] == "same"
    assert fields["tags"]["status"] == "explained" and "azmove-*" in fields["tags"]["why"]
    assert fields["license_type"]["status"] == "same" and fields["data_disks[lun=1]"]["target"] == "128 GB Standard_LRS"
    # The JSON keeps the plan and what stays behind.
    assert row["mapping"]["target"]["size"] == "Standard_D8s_v5" and row["comparison"] is None
    assert [n["kind"] for n in row["mapping"]["not_carried"]] == ["managed_identity", "extension"]
    assert row["blockers"] == ["not replicated: the vault has no replicated item for it"]

    page = _report.render_html(rep)
    opened, section = details(page, "vm-web01")
    assert not opened  # nothing different: collapsed
    status, label, src, tgt, cell = field_row(section, "size")
    assert (status, label, src, tgt) == ("explained", "Size", "Standard_E4s_v3", "Standard_D8s_v5")
    assert '<span class="mark mark-explained">explained</span>' in cell and "closest offered size" in cell
    status, label, src, tgt, cell = field_row(section, "nics[1].private_ip")
    assert (label, src, tgt) == ("NIC 2 private IP", "10.20.2.10 (dynamic)", "10.20.2.10 (static)")
    assert field_row(section, "nics[0].network_security_group")[1:4] == ("NIC 1 NSG", "nsg-web-nic", "nsg-web-nic")
    assert "Target (planned 2026-12-04 19:00:00)" in section
    # What the move will not carry, with what to do.
    carried = re.search(r'<ul class="not-carried">(.*?)</ul>', section, re.S).group(1)
    assert '<li data-kind="managed_identity"><strong>A system-assigned managed identity' in carried
    assert "MicrosoftMonitoringAgent" in carried and "install it on the target VM" in carried


def test_a_planned_difference_without_a_reason_is_highlighted(tmp_path):
    doc = write_mapping(tmp_path)
    doc["target"]["disks"][1]["size_gb"] = 32  # a plan that shrinks a disk, and says nothing
    mm.write_state(FakeModule(), str(tmp_path), "vm-web01", "mapping", doc)
    rep = build(tmp_path)
    row = rep["machines"][1]
    assert row["source_target"]["counts"]["different"] == 1
    page = _report.render_html(rep)
    opened, section = details(page, "vm-web01")
    assert opened
    status, _label, src, tgt, cell = field_row(section, "data_disks[lun=0]")
    assert (status, src, tgt) == ("different", "64 GB Premium_LRS", "32 GB Premium_LRS")
    assert '<span class="mark mark-different">different</span> the plan differs from the source and gives no reason' in cell
    assert '<span class="bad">1 different from the source</span>' in page


def test_after_failover_the_target_as_compared_with_the_reasons(tmp_path):
    write_mapping(tmp_path)
    comparison = {
        "machine": "vm-web01", "compared_at": "2026-12-05T08:00:00Z", "accepted": False,
        "target_vm_id": "/subscriptions/2/resourceGroups/rg-landing/providers/Microsoft.Compute/virtualMachines/vm-web01",
        "fields": [
            {"field": "size", "source": "Standard_E4s_v3", "expected": "Standard_D8s_v5", "target": "Standard_D8s_v5",
             "status": "explained", "why": "Standard_E4s_v3 is not offered in eastus"},
            {"field": "nics[0].private_ip", "source": "10.20.1.10", "expected": "10.20.1.10", "target": "10.20.1.37",
             "status": "different", "why": "the target NIC has 10.20.1.37, the plan 10.20.1.10"},
            {"field": "nics[0].network_security_group",
             "source": "/subscriptions/1/resourceGroups/rg-gov/providers/Microsoft.Network/networkSecurityGroups/nsg-web-nic",
             "expected": "nsg-web-nic", "target": None, "status": "different"},
            {"field": "tags", "source": {"owner": EVIL}, "expected": {"owner": EVIL}, "target": {"owner": EVIL},
             "status": "same"},
        ],
        "differences": 2}
    mm.write_state(FakeModule(), str(tmp_path), "vm-web01", "comparison", comparison)
    rep = build(tmp_path)
    row = rep["machines"][1]
    assert row["source_target"]["basis"] == "compared"
    assert row["source_target"]["counts"] == {"same": 1, "explained": 1, "different": 2}
    assert row["comparison"]["differences"] == 2 and row["comparison"]["fields"][1]["target"] == "10.20.1.37"
    assert row["mapping"]["not_carried"]  # still kept after failover
    assert "2 fields of the target differ from the plan" in row["blockers"][-1]
    assert any(b["machine"] == "vm-web01" and "move_accept_differences" in b["reasons"][-1] for b in rep["wave"]["blockers"])

    page = _report.render_html(rep)
    opened, section = details(page, "vm-web01")
    assert opened and "target as compared after failover" in section and "Target (as compared 2026-12-05 08:00:00)" in section
    status, label, src, tgt, cell = field_row(section, "nics[0].private_ip")
    assert (status, label, src, tgt) == ("different", "NIC 1 private IP", "10.20.1.10", "10.20.1.37")
    assert "the target NIC has 10.20.1.37, the plan 10.20.1.10" in cell
    status, _label, src, tgt, cell = field_row(section, "nics[0].network_security_group")
    assert (status, src, tgt) == ("different", "nsg-web-nic", "none") and "planned nsg-web-nic" in cell
    assert field_row(section, "size")[0] == "explained"
    # Accepted differences no longer block.
    comparison["accepted"] = True
    mm.write_state(FakeModule(), str(tmp_path), "vm-web01", "comparison", comparison)
    row = build(tmp_path)["machines"][1]
    assert not any("differ from the plan" in b for b in row["blockers"])
    assert "differences accepted" in _report.render_html(build(tmp_path))


def test_a_hostile_tag_value_is_escaped_in_the_page_and_kept_as_data(tmp_path):
    write_mapping(tmp_path)
    rep = build(tmp_path)
    assert rep["machines"][1]["mapping"]["target"]["tags"]["owner"] == EVIL
    page = _report.render_html(rep)
    assert "<script" not in page.lower()
    assert "owner=&lt;script&gt;alert(&quot;tag&quot;)&lt;/script&gt;" in page
    # And from the JSON file, the same page.
    assert _report.render_html(json.loads(_report.to_json(rep))) == page
    assert _report.comparable(json.loads(_report.to_json(rep))) == _report.comparable(rep)


def test_a_machine_without_state_files_renders_as_before(tmp_path):
    write_mapping(tmp_path)
    without = _report.build([], [], WAVE, generated_at=GENERATED, names=["vm-web01", "vm-plain"])
    page_without = _report.render_html(without)
    assert "source_target" not in without["machines"][0] and 'id="source-target"' not in page_without
    rep = build(tmp_path)
    plain = {r["name"]: r for r in rep["machines"]}["vm-plain"]
    assert (plain["mapping"], plain["comparison"], plain["source_target"], plain["state_error"]) == (None, None, None, None)
    page = _report.render_html(rep)
    row = re.compile(r'<tr data-machine="vm-plain">.*?</tr>', re.S)
    assert row.search(page).group(0) == row.search(page_without).group(0)
    assert 'data-machine="vm-plain" open' not in page and '<details class="st" data-machine="vm-plain"' not in page
    assert '<p class="muted">No plan yet (prepare writes one): vm-plain</p>' in page
    # Without state_dir the page is the one it always was, byte for byte, whatever the state directory holds.
    assert page_without == _report.render_html(_report.build([], [], WAVE, generated_at=GENERATED, names=["vm-web01", "vm-plain"]))


def test_a_state_file_that_cannot_be_read_is_said_not_fatal(tmp_path):
    (tmp_path / "vm-web01").mkdir()
    (tmp_path / "vm-web01" / "mapping.json").write_text("{not json")
    rep = build(tmp_path)
    row = rep["machines"][1]
    assert row["source_target"] is None and "Cannot read" in row["state_error"]
    opened, section = details(_report.render_html(rep), "vm-web01")
    assert opened and "Cannot read" in section


def test_field_labels():
    assert _report.field_label("nics[1].public_ip") == "NIC 2 public IP"
    assert _report.field_label("data_disks[lun=3]") == "Data disk LUN 3"
    assert _report.field_label("sql_license_type") == "SQL Server licence type"
    assert _report.field_label("nic_count") == "Nic count"
