"""source_vm_info through ansible-playbook: the facts of the Government VMs and the dependency analysis."""

import json


def assert_ok(done):
    # Not imported from conftest: this file also runs in one pytest session with the simulator's tests.
    assert done.returncode == 0, done.output[-6000:]


def run(runner, tmp_path, check=False, **extra):
    result_file = tmp_path / "result.json"
    done = runner.run("source_vm_info.yml", dict(extra, result_file=str(result_file)), check=check)
    assert_ok(done)
    return json.loads(result_file.read_text())


def test_facts_of_every_vm(runner, tmp_path, simulator):
    result = run(runner, tmp_path)
    vms = {vm["name"]: vm for vm in result["vms"]}
    assert list(vms) == ["vm-app-lnx01", "vm-app-lnx02", "vm-app-win01", "vm-app-win02"]  # sorted by name
    win2 = vms["vm-app-win02"]
    assert win2["private_ips"] == ["10.10.1.5"] and win2["public_ips"] == []
    assert (win2["size"], win2["vcpus"], win2["memory_gb"]) == ("Standard_D2s_v3", 2, 8)
    assert win2["load_balancers"][0]["name"] == "lbi-app-gov" and win2["power_state"] == "running"
    assert vms["vm-app-win01"]["public_ip_addresses"][0]["name"] == "pip-app-win01"
    assert result["connection"]["name"] == "source"
    assert result["connection"]["subscription_id"] == simulator["clouds"]["gov"]["subscription_id"]
    assert "dependencies" not in result and "dependency_graph_mermaid" not in result


def test_filters_and_check_mode(runner, tmp_path):
    result = run(runner, tmp_path, check=True, vm_tags={"move-wave": "1"}, exclude_names=["*02"], power_state=False)
    assert [vm["name"] for vm in result["vms"]] == ["vm-app-win01"]
    assert result["vms"][0]["power_state"] is None
    assert run(runner, tmp_path, resource_groups=["rg-nothing"])["vms"] == []


def test_dependencies_of_a_partial_wave(runner, tmp_path):
    result = run(runner, tmp_path, names=["vm-app-win01"], dependencies=True)
    deps = result["dependencies"]
    assert deps["scope"] == ["vm-app-win01"]
    by_type = {}
    for res in deps["resources"]:
        by_type.setdefault(res["type"], []).append(res)
    assert set(by_type) == {"virtual_network", "subnet", "network_security_group", "public_ip_address",
                            "load_balancer", "availability_set"}
    lb, nsg = by_type["load_balancer"][0], by_type["network_security_group"][0]
    assert lb["name"] == "lbi-app-gov" and lb["shared_outside_scope"] and lb["used_outside_scope_by"] == ["vm-app-win02"]
    assert nsg["name"] == "nsg-snet-app" and nsg["used_outside_scope_by"] == ["vm-app-win02"]
    assert by_type["public_ip_address"][0]["shared_outside_scope"] is False
    # the VNet is shared with the Linux VM through its other subnet
    assert by_type["virtual_network"][0]["used_outside_scope_by"] == ["vm-app-lnx01", "vm-app-lnx02", "vm-app-win02"]
    assert lb["id"] in deps["shared_outside_scope"]
    assert any(e["to"] == nsg["id"] and e["relation"] == "subnet NSG" for e in deps["edges"])
    graph = result["dependency_graph_mermaid"]
    assert graph.startswith("flowchart LR") and "vm-app-win02" in graph and ":::shared" in graph


def test_whole_wave_shares_less(runner, tmp_path):
    result = run(runner, tmp_path, vm_tags={"move-wave": "1"}, dependencies=True)
    shared = {r["name"] for r in result["dependencies"]["resources"] if r["shared_outside_scope"]}
    # win01 and win02 move together: only the VNet is still shared (with the Linux VM of wave 2)
    assert shared == {"vnet-app-gov"}


def test_dependencies_playbook(runner):
    done = runner.run("source_vm_info_dependencies.yml")
    assert_ok(done)
    assert "flowchart LR" in done.output


def test_several_subscriptions(runner, tmp_path, simulator, admin):
    gov = simulator["clouds"]["gov"]
    second = gov["subscriptions"][1]
    admin.seed({"gov": {"subscription_id": second, "virtual_machines": [
        {"name": "vm-sub2-app01", "resource_group": "rg-sub2-gov", "size": "Standard_B2ms", "os_type": "Linux",
         "private_ip": "10.50.0.4", "vnet": "vnet-sub2", "subnet": "default", "subnet_prefix": "10.50.0.0/24",
         "tags": {"move-wave": "3"}}]}})
    result = run(runner, tmp_path, subscription_ids=gov["subscriptions"])
    by_name = {vm["name"]: vm for vm in result["vms"]}
    assert set(by_name) == {"vm-app-lnx01", "vm-app-lnx02", "vm-app-win01", "vm-app-win02", "vm-sub2-app01"}
    assert by_name["vm-sub2-app01"]["subscription_id"] == second and by_name["vm-sub2-app01"]["vcpus"] == 2
    only_second = run(runner, tmp_path, subscription_ids=[second])
    assert [vm["name"] for vm in only_second["vms"]] == ["vm-sub2-app01"]
