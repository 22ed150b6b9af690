"""The azure_vms inventory plugin through ansible-inventory, against the simulator's Government cloud,
and a static YAML inventory with the same host variables."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
PLAY_PYTHON = os.environ.get("AZMOVE_PLAY_PYTHON") or sys.executable  # as conftest.PLAY_PYTHON
BIN = Path(PLAY_PYTHON).parent
GOV_VMS = {"vm-app-win01", "vm-app-win02", "vm-app-lnx01", "vm-app-lnx02"}


def assert_ok(done):
    # Not imported from conftest: this file also runs in one pytest session with the simulator's tests.
    assert done.returncode == 0, done.output[-6000:]


def env(tmp_path, extra=None):
    full = {k: v for k, v in os.environ.items() if not k.startswith("AZURE_")}
    full.update({"ANSIBLE_COLLECTIONS_PATH": str(ROOT / ".build" / "collections"), "ANSIBLE_NOCOLOR": "1",
                 "ANSIBLE_LOCAL_TEMP": str(tmp_path / "ansible-tmp"), "ANSIBLE_INVENTORY_UNPARSED_FAILED": "1",
                 "ANSIBLE_PYTHON_INTERPRETER": PLAY_PYTHON})
    full.update(extra or {})
    return full


def remove_vms(simulator, sub, rg, names):
    """Delete the VMs a module fixture seeded (other test files list the whole Government estate)."""
    sys.path.insert(0, str(ROOT / "tests" / "simulator" / "tests"))
    from azure.mgmt.compute import ComputeManagementClient
    from simhelpers import client_kwargs, credential

    client = ComputeManagementClient(credential(simulator, "gov"), sub, **client_kwargs(simulator, "gov"))
    for name in names:
        client.virtual_machines.begin_delete(rg, name).result()


def config(simulator, tmp_path, name="source", **options):
    """A plugin configuration file for the Government cloud of the simulator."""
    gov = simulator["clouds"]["gov"]
    data = {"plugin": "azmove.site_recovery.azure_vms", "cloud": gov["metadata_url"], "ca_bundle": simulator["ca_bundle"],
            "auth_source": "client_secret", "tenant_id": gov["tenant_id"], "client_id": gov["client_id"],
            "client_secret": gov["client_secret"], "subscription_id": gov["subscription_id"]}
    data.update(options)
    data = {k: v for k, v in data.items() if v is not None}
    path = tmp_path / ("%s.azure_vms.yml" % name)
    path.write_text(yaml.safe_dump(data))
    os.chmod(path, 0o600)
    return path


def inventory(tmp_path, source, *args, extra_env=None):
    done = subprocess.run([str(BIN / "ansible-inventory"), "-i", str(source), *args], capture_output=True, text=True,
                          env=env(tmp_path, extra_env), timeout=300, check=False)
    done.output = done.stdout + done.stderr
    return done


def plain(value):
    """ansible-core 2.19 writes strings that are not trusted templates (everything read from Azure) as
    {"__ansible_unsafe": "..."} in `--list`; the value is the same."""
    if isinstance(value, dict):
        if set(value) == {"__ansible_unsafe"}:
            return value["__ansible_unsafe"]
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def listing(tmp_path, source, extra_env=None):
    done = inventory(tmp_path, source, "--list", extra_env=extra_env)
    assert_ok(done)
    return plain(json.loads(done.stdout))


def groups_of(data):
    out = {}
    for group, body in data.items():
        if group != "_meta":
            for host in body.get("hosts", []):
                out.setdefault(group, set()).add(host)
    return out


def test_graph_groups_by_wave_and_os(simulator, tmp_path):
    done = inventory(tmp_path, config(simulator, tmp_path), "--graph")
    assert_ok(done)
    for line in ("@wave_1:", "@wave_2:", "@os_windows:", "@os_linux:", "vm-app-win01", "vm-app-lnx01"):
        assert line in done.stdout, done.stdout
    groups = groups_of(listing(tmp_path, config(simulator, tmp_path)))
    assert groups["wave_1"] == {"vm-app-win01", "vm-app-win02"} and groups["wave_2"] == {"vm-app-lnx01", "vm-app-lnx02"}
    assert groups["os_windows"] == {"vm-app-win01", "vm-app-win02"} and groups["os_linux"] == {"vm-app-lnx01", "vm-app-lnx02"}


def test_host_variables(simulator, tmp_path):
    hostvars = listing(tmp_path, config(simulator, tmp_path))["_meta"]["hostvars"]
    assert set(hostvars) == GOV_VMS
    win = hostvars["vm-app-win01"]
    sub = simulator["clouds"]["gov"]["subscription_id"]
    assert win["azmove_id"] == "/subscriptions/%s/resourceGroups/rg-app-gov/providers/Microsoft.Compute/virtualMachines/vm-app-win01" % sub
    assert win["ansible_host"] == "10.10.1.4" and win["azmove_private_ips"] == ["10.10.1.4"]
    # The status list carries no guest OS name or version: the name comes from the image (source_vm_info reads both).
    assert win["azmove_os_type"] == "Windows" and win["azmove_os_name"] == "WindowsServer 2019-Datacenter"
    assert win["azmove_os_version"] is None and win["azmove_computer_name"] == "APPWIN01"
    assert (win["azmove_size"], win["azmove_vcpus"], win["azmove_memory_gb"]) == ("Standard_D4s_v3", 4, 16)
    assert win["azmove_os_disk"]["size_gb"] == 127 and win["azmove_os_disk"]["sku"] == "Premium_LRS"
    assert [d["size_gb"] for d in win["azmove_data_disks"]] == [256]
    assert win["azmove_subnet"] == "snet-app" and win["azmove_virtual_network"] == "vnet-app-gov"
    assert [n["name"] for n in win["azmove_network_security_groups"]] == ["nsg-snet-app"]
    assert win["azmove_network_security_groups"][0]["applies_to"] == "subnet"
    assert len(win["azmove_public_ips"]) == 1 and win["azmove_public_ip_addresses"][0]["sku"] == "Standard"
    assert win["azmove_load_balancers"] == [{"id": win["azmove_load_balancers"][0]["id"], "name": "lbi-app-gov",
                                             "sku": "Standard", "backend_pools": ["bepool-app"]}]
    assert win["azmove_availability_set"].lower() == "avset-app-win" and win["azmove_zone"] is None
    assert win["azmove_power_state"] == "running" and win["azmove_wave"] == "1"
    assert win["azmove_tags"] == {"move-wave": "1", "app": "contoso-app", "role": "web"}
    nic = win["azmove_nics"][0]
    assert nic["name"] == "vm-app-win01-nic" and nic["ip_configurations"][0]["subnet_address_prefix"] == "10.10.1.0/24"
    lnx = hostvars["vm-app-lnx01"]
    assert (lnx["azmove_vcpus"], lnx["azmove_memory_gb"]) == (2, 8) and lnx["azmove_zone"] == "1"
    assert lnx["azmove_route_tables"][0]["name"] == "rt-snet-linux" and lnx["azmove_availability_set"] is None
    assert lnx["azmove_os_type"] == "Linux" and lnx["azmove_resource_group"] == "rg-linux-gov"


@pytest.mark.parametrize("options, expected", [
    ({"resource_groups": ["RG-LINUX-GOV"]}, {"vm-app-lnx01", "vm-app-lnx02"}),
    ({"tags": {"role": "web"}}, {"vm-app-win01"}),
    ({"tags": {"move-wave": "1", "app": "contoso-app"}}, {"vm-app-win01", "vm-app-win02"}),
    ({"tags": {"role": ""}}, GOV_VMS),
    ({"names": ["vm-app-win*"], "exclude_names": ["*02"]}, {"vm-app-win01"}),
    ({"names": ["nothing-*"]}, set()),
])
def test_filters(simulator, tmp_path, options, expected):
    hostvars = listing(tmp_path, config(simulator, tmp_path, **options))["_meta"]["hostvars"]
    assert set(hostvars) == expected


def test_prefix_compose_keyed_groups(simulator, tmp_path):
    source = config(simulator, tmp_path, hostvar_prefix="src_", wave_tag="role", wave_group_prefix="role_",
                    power_state=False,
                    compose={"ansible_connection": "'winrm' if src_os_type == 'Windows' else 'ssh'"},
                    keyed_groups=[{"key": "src_location", "prefix": "location"}],
                    groups={"big": "src_vcpus >= 4"})
    data = listing(tmp_path, source)
    groups = groups_of(data)
    assert groups["role_web"] == {"vm-app-win01"} and groups["role_db"] == {"vm-app-lnx01"}
    assert groups["location_usgovvirginia"] == GOV_VMS and groups["big"] == {"vm-app-win01"}
    win = data["_meta"]["hostvars"]["vm-app-win01"]
    assert win["ansible_connection"] == "winrm" and "src_name" in win and "azmove_name" not in win
    assert win["src_power_state"] is None


def test_profile_and_environment_like_the_modules(simulator, tmp_path):
    gov = simulator["clouds"]["gov"]
    creds = tmp_path / "credentials"
    creds.write_text("[source]\nsubscription_id=%s\nclient_id=%s\nsecret=%s\ntenant=%s\n"
                     % (gov["subscription_id"], gov["client_id"], gov["client_secret"], gov["tenant_id"]))
    source = config(simulator, tmp_path, tenant_id=None, client_id=None, client_secret=None, subscription_id=None,
                    auth_source=None, profile="source", credentials_file=str(creds))
    assert set(listing(tmp_path, source)["_meta"]["hostvars"]) == GOV_VMS
    source = config(simulator, tmp_path, name="env", tenant_id=None, client_id=None, client_secret=None,
                    subscription_id=None)
    azure_env = {"AZURE_TENANT_ID": gov["tenant_id"], "AZURE_CLIENT_ID": gov["client_id"],
                 "AZURE_CLIENT_SECRET": gov["client_secret"], "AZURE_SUBSCRIPTION_ID": gov["subscription_id"]}
    assert set(listing(tmp_path, source, extra_env=azure_env)["_meta"]["hostvars"]) == GOV_VMS


def test_wrong_secret_fails_clearly_without_the_secret(simulator, tmp_path):
    wrong = "Wr0ng-Inventory-S3cret-" + "y" * 12
    done = inventory(tmp_path, config(simulator, tmp_path, client_secret=wrong), "--list", "-vvv")
    assert done.returncode != 0
    assert "AADSTS7000215" in done.output and wrong not in done.output


def test_cache_serves_the_second_run(simulator, admin, tmp_path):
    source = config(simulator, tmp_path, cache=True, cache_plugin="ansible.builtin.jsonfile",
                    cache_connection=str(tmp_path / "cache"), cache_timeout=600)
    first = listing(tmp_path, source)
    admin.clear_requests()
    second = listing(tmp_path, source)
    assert second["_meta"]["hostvars"] == first["_meta"]["hostvars"]
    assert admin.requests(path_contains="/virtualMachines") == []
    done = inventory(tmp_path, source, "--list", "--flush-cache")
    assert_ok(done)
    assert admin.requests(path_contains="/virtualMachines")


# -- issue 19: one status list per subscription, hostnames, exclude_host_filters, the short plugin name ---------------
POWER_RG = "rg-inventory-power-gov"


@pytest.fixture(scope="module")
def power_vms(simulator, admin):
    """A running and a deallocated VM in the Government cloud's second subscription, in a resource group of their own."""
    sub = simulator["clouds"]["gov"]["subscriptions"][1]
    common = {"resource_group": POWER_RG, "location": "usgovvirginia", "size": "Standard_D2s_v3", "os_type": "Linux",
              "os_name": "Ubuntu 22.04", "vnet": "vnet-inventory-gov", "vnet_resource_group": POWER_RG,
              "subnet": "snet-inventory"}
    admin.seed({"gov": {"subscription_id": sub, "virtual_machines": [
        dict(common, name="vm-inv-on", computer_name="INVON", private_ip="10.78.1.4", power_state="running",
             tags={"move-wave": "8", "alias": "web-frontend"}),
        dict(common, name="vm-inv-off", computer_name="INVOFF", private_ip="10.78.1.5", power_state="deallocated",
             tags={"move-wave": "8"})]}})
    yield sub
    remove_vms(simulator, sub, POWER_RG, ["vm-inv-on", "vm-inv-off"])


def vm_lists(admin, sub):
    """The GETs of the subscription's VM list (statusOnly or not: the log keeps paths without their query)."""
    path = "/subscriptions/%s/providers/microsoft.compute/virtualmachines" % sub
    return [r for r in admin.requests(path_contains=path) if r["method"] == "GET" and r["path"].lower().rstrip("/") == path]


def test_power_state_comes_from_one_status_list_per_subscription(simulator, admin, tmp_path, power_vms):
    first = simulator["clouds"]["gov"]["subscription_id"]
    source = config(simulator, tmp_path, subscription_ids=[first, power_vms],
                    resource_groups=["rg-app-gov", "rg-linux-gov", POWER_RG])
    admin.clear_requests()
    hostvars = listing(tmp_path, source)["_meta"]["hostvars"]
    assert set(hostvars) == GOV_VMS | {"vm-inv-on", "vm-inv-off"}
    # The plain list carries no instance view: these states can only come from the statusOnly list.
    assert {h: v["azmove_power_state"] for h, v in hostvars.items()} == dict(
        {h: "running" for h in GOV_VMS}, **{"vm-inv-on": "running", "vm-inv-off": "deallocated"})
    # Two lists per subscription (the VMs, then their statuses) and nothing per VM, whatever the number of VMs.
    assert len(vm_lists(admin, first)) == 2 and len(vm_lists(admin, power_vms)) == 2
    assert [r["path"] for r in admin.requests(path_contains="/virtualMachines/")] == []

    admin.clear_requests()
    hostvars = listing(tmp_path, config(simulator, tmp_path, name="nopower", power_state=False))["_meta"]["hostvars"]
    assert len(vm_lists(admin, first)) == 1 and hostvars["vm-app-win01"]["azmove_power_state"] is None


def test_hostnames_and_exclude_host_filters_like_azure_rm(simulator, tmp_path, power_vms):
    source = config(simulator, tmp_path, subscription_id=power_vms, resource_groups=[POWER_RG],
                    hostnames=["tags.alias", "computer_name | lower", "default"])
    data = listing(tmp_path, source)
    assert set(data["_meta"]["hostvars"]) == {"web-frontend", "invoff"}
    assert groups_of(data)["wave_8"] == {"web-frontend", "invoff"}
    assert data["_meta"]["hostvars"]["invoff"]["azmove_name"] == "vm-inv-off"

    # The short plugin name where the plugin is enabled by its full name; azure_rm's variable names in both options.
    source = config(simulator, tmp_path, name="short", plugin="azure_vms", subscription_id=power_vms,
                    resource_groups=[POWER_RG], hostnames=["private_ipv4_addresses"],
                    exclude_host_filters=["powerstate != 'running'", "tags['move-skip'] is defined"])
    data = listing(tmp_path, source, extra_env={"ANSIBLE_INVENTORY_ENABLED": "azmove.site_recovery.azure_vms"})
    assert set(data["_meta"]["hostvars"]) == {"10.78.1.4"}
    assert data["_meta"]["hostvars"]["10.78.1.4"]["azmove_name"] == "vm-inv-on"


@pytest.mark.parametrize("options, words", [
    ({"exclude_host_filters": ["tags.owner == 'x'"]}, "exclude_host_filters \"tags.owner == 'x'\" cannot be evaluated"),
    ({"hostnames": ["location"]}, "hostnames give the same host name usgovvirginia"),
])
def test_a_host_filter_or_name_that_cannot_be_applied_is_an_error(simulator, tmp_path, power_vms, options, words):
    done = inventory(tmp_path, config(simulator, tmp_path, subscription_id=power_vms, resource_groups=[POWER_RG],
                                      **options), "--list")
    assert done.returncode != 0 and words in done.output, done.output[-3000:]


def run_hostvars_playbook(tmp_path, source):
    done = subprocess.run([str(BIN / "ansible-playbook"), "-i", str(source), str(HERE / "playbooks" /
                                                                                 "source_vm_info_hostvars.yml")],
                          capture_output=True, text=True, env=env(tmp_path), timeout=300, check=False)
    done.output = done.stdout + done.stderr
    return done


def test_static_yaml_inventory_round_trip(simulator, tmp_path):
    source = config(simulator, tmp_path)
    from_plugin = listing(tmp_path, source)
    saved = inventory(tmp_path, source, "--list", "--yaml")  # the documented way to freeze a wave
    assert_ok(saved)
    static = tmp_path / "static.yml"
    static.write_text(saved.stdout)
    from_file = listing(tmp_path, static)
    assert from_file["_meta"]["hostvars"] == from_plugin["_meta"]["hostvars"]
    assert groups_of(from_file) == groups_of(from_plugin)
    # the playbooks' view of the variables is the same from both sources
    assert_ok(run_hostvars_playbook(tmp_path, source))
    assert_ok(run_hostvars_playbook(tmp_path, static))


def test_hand_written_static_inventory(tmp_path):
    source = HERE / "inventory" / "static.yml"
    done = run_hostvars_playbook(tmp_path, source)
    assert_ok(done)
    data = listing(tmp_path, source)
    assert groups_of(data)["wave_1"] == {"onprem-sql01"}


# -- issue 18: options checked, Azure's data untrusted ------------------------------------------------------------------
@pytest.mark.parametrize("options, words", [
    ({"tag": {"move-wave": "1"}}, "unknown option tag"),
    ({"resource_group": ["rg-app-gov"]}, "unknown option resource_group"),
    ({"tags": {}}, "tags given without a value"),
    ({"names": []}, "names given without a value"),
    ({"subscription_ids": ["not-a-guid"]}, "'not-a-guid' is not a subscription id"),
])
def test_an_option_that_cannot_be_applied_is_an_error_not_a_wider_selection(simulator, tmp_path, options, words):
    done = inventory(tmp_path, config(simulator, tmp_path, **options), "--list")
    assert done.returncode != 0 and words in done.output, done.output[-3000:]


def test_a_ca_bundle_that_is_not_pem_is_named_at_once(simulator, tmp_path):
    bundle = tmp_path / "bundle.txt"
    bundle.write_text("not a certificate\n")
    done = inventory(tmp_path, config(simulator, tmp_path, ca_bundle=str(bundle)), "--list")
    assert done.returncode != 0 and "ca_bundle %s is not a PEM file" % bundle in done.output, done.output[-3000:]
    assert "cloud metadata" not in done.output


JINJA_TAG = "{{ lookup('pipe', 'id') }}"
UNSAFE_RG = "rg-unsafe-tags-gov"


@pytest.fixture(scope="module")
def unsafe_vm(simulator, admin):
    """A VM whose tag is a Jinja expression, in the Government cloud's second subscription (the other tests read the
    first one), in a resource group of its own."""
    sub = simulator["clouds"]["gov"]["subscriptions"][1]
    admin.seed({"gov": {"subscription_id": sub, "virtual_machines": [
        {"name": "vm-unsafe-tag", "resource_group": UNSAFE_RG, "location": "usgovvirginia", "size": "Standard_D2s_v3",
         "os_type": "Linux", "os_name": "Ubuntu 22.04", "private_ip": "10.77.1.4", "power_state": "running",
         "vnet": "vnet-unsafe-gov", "vnet_resource_group": UNSAFE_RG, "subnet": "snet-unsafe",
         "tags": {"move-wave": "9", "owner": JINJA_TAG}}]}})
    yield sub
    remove_vms(simulator, sub, UNSAFE_RG, ["vm-unsafe-tag"])


def check_tag_stays_literal(simulator, tmp_path, sub, bin_dir):
    source = config(simulator, tmp_path, subscription_id=sub, resource_groups=[UNSAFE_RG],
                    compose={"unsafe_owner": "azmove_tags.owner"})
    result = tmp_path / "result.json"
    done = subprocess.run([str(bin_dir / "ansible-playbook"), "-i", str(source), str(HERE / "playbooks" / "inventory_unsafe_tag.yml"),
                           "-e", "result_file=%s" % result],
                          capture_output=True, text=True, env=env(tmp_path, {"ANSIBLE_PYTHON_INTERPRETER": str(bin_dir / "python")}),
                          timeout=300, check=False)
    assert done.returncode == 0, (done.stdout + done.stderr)[-6000:]
    written = json.loads(result.read_text())
    assert written == {"tag": JINJA_TAG, "composed": JINJA_TAG, "message": "owner is " + JINJA_TAG}
    assert "uid=" not in result.read_text()


def test_a_tag_written_as_jinja_stays_literal(simulator, tmp_path, unsafe_vm):
    check_tag_stays_literal(simulator, tmp_path, unsafe_vm, BIN)


OLDEST_CORE = "2.17"  # meta/runtime.yml requires_ansible: >=2.17.0


def oldest_core_venv():
    """A venv with the oldest ansible-core the collection admits and requirements.txt, built once in .build/."""
    venv = ROOT / ".build" / ("ansible-core-%s" % OLDEST_CORE)
    marker = venv / ".installed"
    if not marker.exists():
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True, timeout=300)
        subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "ansible-core==%s.*" % OLDEST_CORE,
                        "-r", str(ROOT / "requirements.txt")], check=True, timeout=1800)
        marker.write_text(OLDEST_CORE + "\n")
    return venv / "bin"


def test_runtime_yml_admits_the_oldest_core_tested():
    assert yaml.safe_load((ROOT / "meta" / "runtime.yml").read_text())["requires_ansible"] == ">=%s.0" % OLDEST_CORE


def test_a_tag_written_as_jinja_stays_literal_on_the_oldest_core(simulator, tmp_path, unsafe_vm):
    """ansible-core 2.17 templates host variables that are not marked unsafe (2.19 trusts no inventory data)."""
    bin_dir = oldest_core_venv()
    version = subprocess.run([str(bin_dir / "ansible"), "--version"], capture_output=True, text=True, check=True).stdout
    assert "core %s." % OLDEST_CORE in version, version
    check_tag_stays_literal(simulator, tmp_path, unsafe_vm, bin_dir)
