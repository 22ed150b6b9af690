# -*- coding: utf-8 -*-
# Copyright (c) 2026 azmove.site_recovery contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: azure_vms
short_description: The source VMs of a move, grouped by wave and OS
version_added: 0.1.0
description:
  - Lists the virtual machines of the source subscription(s) (usually in Azure Government) as hosts, grouped by the
    move wave in their O(wave_tag) tag (V(move-wave=1) makes group C(wave_1)) and by OS (C(os_windows), C(os_linux)).
  - Each host carries what the move needs as host variables, prefixed with O(hostvar_prefix) - resource id, private
    and public IPs, OS type, name and version, size with vCPUs and memory, OS and data disks, network interfaces with
    subnet, NSGs, public IPs and load balancer backend pools, availability set or zone, power state and tags.
    C(ansible_host) is the first private IP. M(azmove.site_recovery.source_vm_info) returns the same facts.
  - Authenticates exactly as the modules do (same options, credentials-file profiles and C(AZURE_*) environment
    variables); see the modules' connection options.
  - The configuration file's name must end in C(azure_vms.yml) or C(azure_vms.yaml).
  - The short name V(azure_vms) for O(plugin) works where the plugin is enabled by its full name (for example
    C(ANSIBLE_INVENTORY_ENABLED=azmove.site_recovery.azure_vms), or C(enable_plugins) in the C([inventory]) section of
    C(ansible.cfg)), as C(azure_rm) does for azure.azcollection; the C(auto) plugin needs the full name.
  - An option this plugin does not know (a misspelling such as C(tag) for O(tags)) and a filter given without a value
    are errors, never a wider selection of VMs.
  - Every value read from Azure (names, tags, anything else) is marked unsafe, so a tag such as
    C({{ lookup('pipe', 'id') }}) stays literal text and is never templated on the controller.
author:
  - azmove maintainers (@azmove)
requirements:
  - azure-identity
  - azure-mgmt-compute >= 33
  - azure-mgmt-network >= 27
extends_documentation_fragment:
  - constructed
  - inventory_cache
options:
  plugin:
    description: The name of this plugin; makes the file an inventory source of it.
    type: str
    required: true
    choices: [azmove.site_recovery.azure_vms, azure_vms]
  cloud:
    description:
      - V(AzureCloud), V(AzureUSGovernment), V(AzureChinaCloud), or the https URL of an ARM metadata endpoint
        (C(https://<arm-host>/metadata/endpoints?api-version=2022-09-01)) for any other cloud.
      - Falls back to the profile, then E(AZURE_CLOUD_ENVIRONMENT), then V(AzureCloud).
    type: str
  ca_bundle:
    description:
      - A PEM file of certificate authorities to trust for the cloud's endpoints. TLS is always verified.
      - A file that cannot be read or holds no PEM certificate is refused before any request.
    type: path
  auth_source:
    description:
      - How to get a token, as for the modules. V(auto) takes the first of client_secret, certificate,
        workload_identity whose settings are all present, then cli when C(az) is installed, then msi.
    type: str
    choices: [auto, client_secret, certificate, workload_identity, env, credential_file, cli, msi]
  subscription_id:
    description: The subscription (a GUID). Falls back to the profile, then E(AZURE_SUBSCRIPTION_ID).
    type: str
  subscription_ids:
    description:
      - Several subscriptions (GUIDs) of the same cloud, read with the same credential, instead of O(subscription_id).
    type: list
    elements: str
  tenant_id:
    description: The Microsoft Entra tenant id. Falls back to the profile, then E(AZURE_TENANT_ID).
    type: str
    aliases: [tenant]
  client_id:
    description: The service principal's application (client) id. Falls back to E(AZURE_CLIENT_ID).
    type: str
  client_secret:
    description:
      - The service principal's secret (use an Ansible Vault encrypted string). Falls back to the profile, then
        E(AZURE_CLIENT_SECRET). Never printed.
    type: str
    aliases: [secret]
  certificate_path:
    description: A PEM or PKCS12 file with the service principal's certificate and key. Falls back to E(AZURE_CLIENT_CERTIFICATE_PATH).
    type: path
  certificate_password:
    description: The password of O(certificate_path).
    type: str
  federated_token_file:
    description: A federated (workload identity) token file. Falls back to E(AZURE_FEDERATED_TOKEN_FILE).
    type: path
  profile:
    description: A profile of O(credentials_file) that fills the settings left out here. Falls back to E(AZURE_PROFILE).
    type: str
  credentials_file:
    description: The INI credentials file. Falls back to E(AZURE_CREDENTIALS_FILE), then C(~/.azure/credentials).
    type: path
  resource_groups:
    description: Only the VMs of these resource groups (case-insensitive).
    type: list
    elements: str
  tags:
    description: Only the VMs that have all these tags with these values; a tag with an empty value only needs to exist.
    type: dict
  names:
    description: Only the VMs whose name matches one of these shell-style patterns (case-insensitive).
    type: list
    elements: str
  exclude_names:
    description: Leave out the VMs whose name matches one of these shell-style patterns (case-insensitive).
    type: list
    elements: str
  wave_tag:
    description: The tag that names a VM's move wave. A VM without it is in no wave group.
    type: str
    default: move-wave
  wave_group_prefix:
    description: Prefix of the wave groups; the tag value follows, with characters other than letters, digits and C(_) replaced by C(_).
    type: str
    default: wave_
  os_group_prefix:
    description: Prefix of the OS groups; the lower-case OS type follows (C(os_windows), C(os_linux)).
    type: str
    default: os_
  hostvar_prefix:
    description: Prefix of every host variable this plugin sets (except C(ansible_host)).
    type: str
    default: azmove_
  power_state:
    description:
      - Read the power state of the VMs with one more paged list of each subscription's VMs (C(statusOnly=true)),
        whatever the number of VMs.
      - That list carries the instance views' statuses only, so C(os_version) (reported by the guest agent) stays
        null and C(os_name) comes from the image; M(azmove.site_recovery.source_vm_info) reads them per VM.
    type: bool
    default: true
  hostnames:
    description:
      - The inventory host name of each VM, as in azure.azcollection's C(azure_rm) inventory - a list of Jinja2
        expressions in order of preference; the first that gives a non-empty value names the host.
      - V(default) is the default name - the VM name, or C(<name>_<resource group>) for the second of two VMs of the
        same name.
      - The expressions see the host variables (with O(hostvar_prefix)), the same facts without the prefix (C(name),
        C(computer_name), C(resource_group), C(location), C(tags), ...), C(azure_rm)'s C(private_ipv4_addresses),
        C(public_ipv4_addresses) and C(powerstate), and C(default_inventory_hostname). For example
        V(computer_name), V(private_ipv4_addresses) (a list gives its first item), V(tags.fqdn).
      - Two VMs given the same host name are an error, never one host standing for both.
    type: list
    elements: str
    default: [default]
  exclude_host_filters:
    description:
      - Leave out the VMs for which any of these Jinja2 conditions is true, as in C(azure_rm). A condition sees the
        same variables as O(hostnames), for example V(powerstate != 'running') or
        V(tags.keep is defined and tags.keep == 'gov').
      - A condition that cannot be evaluated (an undefined variable, a syntax error) is an error, never a wider or a
        narrower selection of VMs.
    type: list
    elements: str
    default: []
notes:
  - Host names are the VM names unless O(hostnames) says otherwise. When two VMs of different resource groups share a
    name, the second is named C(<name>_<resource group>).
  - Reading a subscription costs the same few list requests whatever its number of VMs - VMs, network interfaces,
    virtual networks, public IPs, load balancers, the VM sizes of each location in use, and, with O(power_state),
    one list of the VMs' statuses. No request is made per VM.
  - With O(cache=true) the facts are kept in Ansible's inventory cache for O(cache_timeout) seconds; use
    C(ansible-inventory --flush-cache) to read Azure again.
seealso:
  - module: azmove.site_recovery.source_vm_info
"""

EXAMPLES = r"""
# wave1.azure_vms.yml: wave 1 of one application in the Government subscription, with the credentials of the
# [source] profile of ~/.azure/credentials; Windows hosts reached over WinRM. The smallest file needs only
# plugin, cloud and profile.
plugin: azmove.site_recovery.azure_vms
cloud: AzureUSGovernment
profile: source
resource_groups: [rg-app-gov]
tags:
  move-wave: "1"
compose:
  ansible_connection: "'winrm' if azmove_os_type == 'Windows' else 'ssh'"
keyed_groups:
  - key: azmove_location
    prefix: location
cache: true
cache_plugin: ansible.builtin.jsonfile
cache_connection: ~/.cache/azmove-inventory

---
# wave2.azure_vms.yml: the short plugin name (with ANSIBLE_INVENTORY_ENABLED=azmove.site_recovery.azure_vms), hosts
# named by their guest computer name, running VMs only, none tagged move-skip.
plugin: azure_vms
cloud: AzureUSGovernment
profile: source
tags:
  move-wave: "2"
hostnames:
  - computer_name
  - default
exclude_host_filters:
  - powerstate != 'running'
  - tags['move-skip'] is defined
"""

import os

from ansible.errors import AnsibleError
from ansible.module_utils.common.text.converters import to_native, to_text
from ansible.module_utils.parsing.convert_bool import boolean
from ansible.plugins.inventory import BaseInventoryPlugin, Cacheable, Constructable
from ansible.utils.unsafe_proxy import wrap_var

from ansible_collections.azmove.site_recovery.plugins.module_utils._auth import AuthError, subscription_problem
from ansible_collections.azmove.site_recovery.plugins.module_utils._discovery import (
    Discovery,
    discover,
    rest,
    safe_group_name,
)
from ansible_collections.azmove.site_recovery.plugins.module_utils._errors import AzureFailure, translate
from ansible_collections.azmove.site_recovery.plugins.module_utils._module import CONNECTION_OPTIONS, Connection


# The selection filters: given, each must narrow the selection; given empty, it cannot be applied.
FILTERS = ("resource_groups", "tags", "names", "exclude_names")
SHORT_NAME = "azure_vms"
# azure_rm's names of the same facts, so its hostnames and exclude_host_filters read the same here.
AZURE_RM_NAMES = {"private_ipv4_addresses": "private_ips", "public_ipv4_addresses": "public_ips",
                  "powerstate": "power_state"}


class StatusListDiscovery(Discovery):
    """Power state from one paged list of the subscription's VMs with statusOnly=true (each item carries its
    instance view's statuses) instead of one instanceView request per VM; read on the first VM that needs it."""

    _views = None

    def instance_view(self, vm):
        if self._views is None:
            self._views = {}
            for item in self.compute.virtual_machines.list_all(status_only="true"):
                item = rest(item)
                self._views[(item.get("id") or "").lower()] = (item.get("properties") or {}).get("instanceView") or {}
        # A VM created between the two lists has no status yet: its power state stays unknown.
        return self._views.get((vm.get("id") or "").lower(), {})


class InventoryModule(BaseInventoryPlugin, Constructable, Cacheable):
    NAME = "azmove.site_recovery.azure_vms"

    def verify_file(self, path):
        return super().verify_file(path) and path.endswith(("azure_vms.yml", "azure_vms.yaml"))

    def parse(self, inventory, loader, path, cache=True):
        # `plugin: azure_vms` as well as the full name (core accepts the names the plugin was loaded by).
        names = list(getattr(self, "_redirected_names", None) or [self.NAME])
        self._redirected_names = names + [name for name in (self.NAME, SHORT_NAME) if name not in names]
        super().parse(inventory, loader, path, cache)
        self._check_config(path, self._read_config_data(path))
        cache_key = self.get_cache_key(path)
        use_cache = self.get_option("cache")
        facts = None
        if use_cache and cache:
            try:
                facts = self._cache[cache_key]
            except KeyError:
                facts = None
        if facts is None:
            facts = self._discover()
            if use_cache:
                self._cache[cache_key] = facts
        self._populate(facts)

    def _check_config(self, path, config):
        """Refuse an option this plugin does not know and a filter without a value: either would silently select more
        VMs than meant (a misspelt ``tag:`` once moved every VM of the resource groups)."""
        from ansible import constants as C  # pylint: disable=import-outside-toplevel

        known = set()
        for name, definition in (C.config.get_configuration_definitions("inventory", self._load_name) or {}).items():
            known.add(name)
            known.update((definition or {}).get("aliases") or [])
        unknown = sorted(str(key) for key in config if key not in known)
        if unknown:
            raise AnsibleError("azure_vms inventory %s: unknown option%s %s; the options are: %s."
                               % (path, "s" if len(unknown) > 1 else "", ", ".join(unknown), ", ".join(sorted(known))))
        empty = [key for key in FILTERS if key in config and not config[key]]
        if empty:
            raise AnsibleError("azure_vms inventory %s: %s given without a value; a filter must name what it selects "
                               "(leave the option out to select every VM)." % (path, ", ".join(empty)))

    def _connection_params(self):
        params = {"name": "azure_vms"}
        for key in CONNECTION_OPTIONS:
            # azure.azcollection's extra names (thumbprint, ...) are module options only: the plugin does not take them.
            value = self.get_option(key) if self.has_option(key) else None
            # Vault-encrypted strings decrypt on str(); paths are expanded like module options.
            params[key] = None if value in (None, "") else str(value)
        for key in ("ca_bundle", "certificate_path", "federated_token_file", "credentials_file"):
            if params[key]:
                params[key] = os.path.expanduser(params[key])
        return params

    def _discover(self):
        try:
            conn = Connection(self._connection_params(), os.environ)
            subscriptions = self.get_option("subscription_ids") or [conn.subscription_id]
            for sub in subscriptions:
                problem = subscription_problem(sub, "subscription_ids entry")
                if problem:
                    raise AuthError(problem)
            discoveries = [StatusListDiscovery.for_connection(conn, sub) for sub in subscriptions]
            filters = {key: self.get_option(key) for key in ("resource_groups", "tags", "names", "exclude_names")}
            facts, _analysis = discover(discoveries, filters, with_power_state=self.get_option("power_state"),
                                        wave_tag=self.get_option("wave_tag"))
            return facts
        except AuthError as exc:
            raise AnsibleError("azure_vms inventory: %s" % exc) from None
        except ImportError as exc:
            raise AnsibleError("azure_vms inventory needs the Azure SDK packages of the collection's requirements.txt "
                               "(azure-identity, azure-mgmt-compute, azure-mgmt-network): %s" % to_native(exc)) from None
        except AzureFailure as exc:
            raise AnsibleError(exc.summary("azure_vms inventory")) from None
        except Exception as exc:  # pylint: disable=broad-except  # SDK errors translated, anything else re-raised
            try:
                from azure.core.exceptions import AzureError  # pylint: disable=import-outside-toplevel
            except ImportError:
                raise exc from None
            if isinstance(exc, AzureError):
                raise AnsibleError(translate(exc).summary("azure_vms inventory")) from None
            raise

    def _populate(self, facts):
        prefix = self.get_option("hostvar_prefix")
        strict = self.get_option("strict")
        preferences = self.get_option("hostnames") or ["default"]
        excludes = self.get_option("exclude_host_filters") or []
        defaults, names = set(), {}
        for vm in facts:
            # Everything read from Azure is untrusted: marked unsafe, a tag's "{{ ... }}" is never templated.
            hostvars = {prefix + key: wrap_var(value) for key, value in vm.items()}
            if vm.get("private_ips"):
                hostvars["ansible_host"] = wrap_var(vm["private_ips"][0])
            default = vm["name"] if vm["name"] not in defaults else "%s_%s" % (vm["name"], vm["resource_group"])
            variables = self._expression_variables(vm, hostvars, default)
            excluded = [cond for cond in excludes if self._condition(cond, variables, vm)]
            if excluded:
                self.display.vvv("azure_vms inventory: %s left out by exclude_host_filters %s" % (vm["id"], excluded[0]))
                continue
            defaults.add(default)
            host = self._hostname(preferences, variables, default, vm)
            if host in names:
                raise AnsibleError("azure_vms inventory: hostnames give the same host name %s to %s and %s; add a "
                                   "preference that tells them apart (for example default)." % (host, names[host], vm["id"]))
            names[host] = vm["id"]
            self.inventory.add_host(host)
            for key, value in hostvars.items():
                self.inventory.set_variable(host, key, value)
            if vm.get("wave") not in (None, ""):
                self._add_to(self.get_option("wave_group_prefix") + safe_group_name(vm["wave"]), host)
            if vm.get("os_type"):
                self._add_to(self.get_option("os_group_prefix") + safe_group_name(vm["os_type"].lower()), host)
            self._set_composite_vars(self.get_option("compose"), hostvars, host, strict=strict)
            self._add_host_to_composed_groups(self.get_option("groups"), hostvars, host, strict=strict)
            self._add_host_to_keyed_groups(self.get_option("keyed_groups"), hostvars, host, strict=strict)

    @staticmethod
    def _expression_variables(vm, hostvars, default):
        """What hostnames and exclude_host_filters see: the facts unprefixed, azure_rm's names, the host variables."""
        variables = {key: wrap_var(value) for key, value in vm.items()}
        variables.update({alias: wrap_var(vm.get(key)) for alias, key in AZURE_RM_NAMES.items()})
        variables.update(hostvars)
        variables["default_inventory_hostname"] = default
        return variables

    def _condition(self, condition, variables, vm):
        self.templar.available_variables = variables
        try:
            if hasattr(self.templar, "evaluate_conditional"):  # ansible-core 2.19
                return bool(self.templar.evaluate_conditional(condition))
            return boolean(self.templar.template("{%% if %s %%} True {%% else %%} False {%% endif %%}" % condition))
        except Exception as exc:  # pylint: disable=broad-except  # any template error: refuse, never guess
            raise AnsibleError("azure_vms inventory: exclude_host_filters %r cannot be evaluated for %s: %s"
                               % (condition, vm["id"], to_native(exc))) from None

    def _hostname(self, preferences, variables, default, vm):
        errors = []
        for preference in preferences:
            if preference == "default":
                return default
            try:
                value = self._compose(preference, variables)
            except Exception as exc:  # pylint: disable=broad-except  # the next preference may serve
                errors.append("%s: %s" % (preference, to_native(exc)))
                continue
            if isinstance(value, (list, tuple)):
                value = value[0] if value else None
            if value not in (None, ""):
                return str(to_text(value))
        raise AnsibleError("azure_vms inventory: no hostnames preference names %s (add default as the last one)%s"
                           % (vm["id"], "; " + "; ".join(errors) if errors else ""))

    def _add_to(self, group, host):
        self.inventory.add_group(group)
        self.inventory.add_child(group, host)
