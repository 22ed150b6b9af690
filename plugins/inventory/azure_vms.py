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
    choices: [azmove.site_recovery.azure_vms]
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
    description: Read each VM's instance view for its power state and OS version (one more request per VM).
    type: bool
    default: true
notes:
  - Host names are the VM names. When two VMs of different resource groups share a name, the second is named
    C(<name>_<resource group>).
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
"""

import os

from ansible.errors import AnsibleError
from ansible.module_utils.common.text.converters import to_native
from ansible.plugins.inventory import BaseInventoryPlugin, Cacheable, Constructable
from ansible.utils.unsafe_proxy import wrap_var

from ansible_collections.azmove.site_recovery.plugins.module_utils._auth import AuthError, subscription_problem
from ansible_collections.azmove.site_recovery.plugins.module_utils._discovery import (
    Discovery,
    discover,
    safe_group_name,
)
from ansible_collections.azmove.site_recovery.plugins.module_utils._errors import AzureFailure, translate
from ansible_collections.azmove.site_recovery.plugins.module_utils._module import CONNECTION_OPTIONS, Connection


# The selection filters: given, each must narrow the selection; given empty, it cannot be applied.
FILTERS = ("resource_groups", "tags", "names", "exclude_names")


class InventoryModule(BaseInventoryPlugin, Constructable, Cacheable):
    NAME = "azmove.site_recovery.azure_vms"

    def verify_file(self, path):
        return super().verify_file(path) and path.endswith(("azure_vms.yml", "azure_vms.yaml"))

    def parse(self, inventory, loader, path, cache=True):
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
            value = self.get_option(key)
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
            discoveries = [Discovery.for_connection(conn, sub) for sub in subscriptions]
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
        names = set()
        for vm in facts:
            host = vm["name"]
            if host in names:
                host = "%s_%s" % (vm["name"], vm["resource_group"])
            names.add(host)
            self.inventory.add_host(host)
            # Everything read from Azure is untrusted: marked unsafe, a tag's "{{ ... }}" is never templated.
            hostvars = {prefix + key: wrap_var(value) for key, value in vm.items()}
            if vm.get("private_ips"):
                hostvars["ansible_host"] = wrap_var(vm["private_ips"][0])
            for key, value in hostvars.items():
                self.inventory.set_variable(host, key, value)
            if vm.get("wave") not in (None, ""):
                self._add_to(self.get_option("wave_group_prefix") + safe_group_name(vm["wave"]), host)
            if vm.get("os_type"):
                self._add_to(self.get_option("os_group_prefix") + safe_group_name(vm["os_type"].lower()), host)
            self._set_composite_vars(self.get_option("compose"), hostvars, host, strict=strict)
            self._add_host_to_composed_groups(self.get_option("groups"), hostvars, host, strict=strict)
            self._add_host_to_keyed_groups(self.get_option("keyed_groups"), hostvars, host, strict=strict)

    def _add_to(self, group, host):
        self.inventory.add_group(group)
        self.inventory.add_child(group, host)
