"""Discovered machines as Azure keeps them (Microsoft.OffAzure): every page of both sites, deleted entries dropped,
and a source VM matched by what the appliance sees (addresses, FQDN, host name) before its Azure name."""

import json

import pytest

from ansible_collections.azmove.site_recovery.plugins.module_utils import _offazure as off

SUB = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.OffAzure"
PHYSICAL = SUB + "/ServerSites/s1"
VMWARE = SUB + "/VMwareSites/v1"


class Response:
    def __init__(self, status, body):
        self.status_code = status
        self._body = body
        self.headers = {}
        self.reason = "OK" if status < 400 else "Bad"
        self.content_type = "application/json"

    def json(self):
        return self._body

    def text(self):
        return json.dumps(self._body)


class Client:
    """Answers raw GETs from {url without query: [pages]}; each page links the next by an absolute URL."""

    def __init__(self, lists):
        self.pages = {}
        self.sent = []
        for path, pages in lists.items():
            for i, page in enumerate(pages):
                url = "%s?api-version=%s" % (path, off.OFFAZURE_API) if i == 0 else "https://arm.example%s?$skiptoken=%d" % (path, i)
                body = {"value": page}
                if i + 1 < len(pages):
                    body["nextLink"] = "https://arm.example%s?$skiptoken=%d" % (path, i + 1)
                self.pages[url] = body

    def send_request(self, request):
        self.sent.append(request.url)
        if request.url not in self.pages:
            return Response(404, {"error": {"code": "ResourceNotFound", "message": "no"}})
        return Response(200, self.pages[request.url])


def machine(site, name, display, ips, fqdn=None, deleted=False, run_as=None):
    return {"id": "%s/machines/%s" % (site, name), "name": name, "properties": {
        "displayName": display, "fqdn": fqdn, "isDeleted": deleted, "runAsAccountId": run_as,
        "operatingSystemDetails": {"osType": "Windows"},
        "networkAdapters": [{"ipAddressList": [ip]} for ip in ips]}}


FABRIC = {"properties": {"customDetails": {"instanceType": "InMageRcm", "physicalSiteId": PHYSICAL, "vmwareSiteId": VMWARE}}}


def test_every_page_of_both_sites_is_read_and_deleted_machines_are_dropped():
    client = Client({
        PHYSICAL + "/machines": [[machine(PHYSICAL, "m1", "APPWIN01", ["10.0.0.4"])],
                                 [machine(PHYSICAL, "m2", "OLD", ["10.0.0.5"], deleted=True)],
                                 [machine(PHYSICAL, "m3", "APPWIN02", ["10.0.0.6"])]],
        VMWARE + "/machines": [[], [machine(VMWARE, "m4", "app-lnx01", ["10.0.1.4"])]],
    })
    found = off.discovered_machines(client, FABRIC)
    assert [(m["name"], m["site_kind"]) for m in found] == [("m1", "physical"), ("m3", "physical"), ("m4", "vmware")]
    assert found[0]["id"] == PHYSICAL + "/machines/m1"  # the machine's own id, never built from a name
    assert len(client.sent) == 5


def test_run_as_accounts_on_a_later_page_are_found():
    client = Client({PHYSICAL + "/runAsAccounts": [
        [{"id": PHYSICAL + "/runAsAccounts/a1", "properties": {"displayName": "win-admin"}}],
        [{"id": PHYSICAL + "/runAsAccounts/a2", "properties": {"displayName": "linux-root"}}]]})
    assert off.run_as_accounts(client, PHYSICAL) == [
        {"id": PHYSICAL + "/runAsAccounts/a1", "name": "win-admin"}, {"id": PHYSICAL + "/runAsAccounts/a2", "name": "linux-root"}]


def test_an_error_page_is_raised_with_azures_code():
    client = Client({})
    with pytest.raises(Exception) as err:
        off.list_all(client, PHYSICAL + "/machines", off.OFFAZURE_API)
    assert getattr(err.value, "code", None) == "ResourceNotFound"


MACHINES = [off.machine_summary(m, PHYSICAL, "physical") for m in (
    machine(PHYSICAL, "m1", "APPWIN01", ["10.0.0.4", "10.0.9.4"], fqdn="appwin01.corp.example"),
    machine(PHYSICAL, "m2", "vm-app-win02", ["10.0.0.5"]),
    machine(PHYSICAL, "m3", "APPWIN03", ["10.0.0.7"], fqdn="appwin03.corp.example"),
)]


def test_the_address_wins_over_a_name_that_belongs_to_another_machine():
    # The VM's Azure name is another guest's host name: the addresses say which machine this is.
    found, how = off.match(MACHINES, ["10.0.9.4"], computer_name="APPWIN01", name="vm-app-win02")
    assert (found["name"], how) == ("m1", "IP address")


def test_fqdn_then_computer_name_then_name():
    assert off.match(MACHINES, [], fqdn="APPWIN03.corp.example")[0]["name"] == "m3"
    assert off.match(MACHINES, ["192.0.2.1"], computer_name="appwin01")[1] == "computer name"
    assert off.match(MACHINES, [], name="vm-app-win02")[1] == "name"
    assert off.match(MACHINES, ["192.0.2.1"], fqdn="x.example", computer_name="NOPE", name="nope") == (None, None)


def test_two_live_machines_with_one_address_are_an_error_not_a_guess():
    twins = MACHINES + [off.machine_summary(machine(VMWARE, "m9", "COPY", ["10.0.0.4"]), VMWARE, "vmware")]
    with pytest.raises(ValueError, match="2 discovered machines match by IP address"):
        off.match(twins, ["10.0.0.4"])


def test_sites_of_lists_only_the_sites_the_fabric_names():
    assert off.sites_of(FABRIC) == [(PHYSICAL, "physical"), (VMWARE, "vmware")]
    assert off.sites_of({"properties": {"customDetails": {"physicalSiteId": PHYSICAL, "vmwareSiteId": None}}}) == [(PHYSICAL, "physical")]
