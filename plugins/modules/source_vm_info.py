#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 azmove.site_recovery contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: source_vm_info
short_description: Describe the source VMs of a move and what they depend on
version_added: 0.1.0
description:
  - Lists the virtual machines of the source subscription (usually in Azure Government) with what the move needs
    to know about each - resource id, private and public IPs, OS type, name and version, size with its vCPUs and
    memory, OS and data disks, network interfaces with their subnet, network security groups, public IPs and
    load balancer backend pools, availability set or zone, power state and tags.
  - These are the host variables of the P(azmove.site_recovery.azure_vms#inventory) inventory plugin, without its
    prefix; the module and the plugin share one implementation.
  - With O(dependencies=true), also the resources the VMs in scope depend on (virtual networks, subnets, network
    security groups, route tables, public IPs, load balancers, availability sets) and, for each, the VMs outside the
    scope that use it too, as data and as a Mermaid flowchart.
  - Returns an empty list when no VM matches.
author:
  - azmove maintainers (@azmove)
requirements:
  - azure-mgmt-compute >= 33
  - azure-mgmt-network >= 27
extends_documentation_fragment:
  - azmove.site_recovery.azure
  - azmove.site_recovery.attributes
  - azmove.site_recovery.attributes.INFO_MODULE
options:
  subscription_ids:
    description:
      - Look at these subscriptions of the connection's cloud instead of only the connection's O(subscription_id).
      - The same credential is used for each.
    type: list
    elements: str
  resource_groups:
    description: Only the VMs of these resource groups (case-insensitive).
    type: list
    elements: str
  tags:
    description:
      - Only the VMs that have all these tags with these values. A tag given with an empty value only needs to exist.
    type: dict
  names:
    description: Only the VMs whose name matches one of these shell-style patterns (case-insensitive), for example V(vm-app-*).
    type: list
    elements: str
  exclude_names:
    description: Leave out the VMs whose name matches one of these shell-style patterns (case-insensitive).
    type: list
    elements: str
  wave_tag:
    description: The tag that names a VM's move wave; its value is returned as RV(vms[].wave).
    type: str
    default: move-wave
  power_state:
    description:
      - Read each VM's instance view for its power state and the OS name and version the guest agent reports.
      - One more request per VM; with V(false), RV(vms[].power_state) and RV(vms[].os_version) are null.
    type: bool
    default: true
  dependencies:
    description:
      - Also analyse what the VMs in scope depend on, and which VMs outside the scope share those resources.
      - The scope is the VMs the filters select; everything else in the subscriptions is outside.
    type: bool
    default: false
notes:
  - Reads only. Needs C(Microsoft.Compute/virtualMachines/read), C(Microsoft.Compute/skus/read) and read access to
    network interfaces, virtual networks, public IP addresses and load balancers of the subscriptions.
  - vCPUs and memory come from the resource SKUs of each VM's location; a size Azure does not list there leaves them null.
seealso:
  - plugin: azmove.site_recovery.azure_vms
    plugin_type: inventory
"""

EXAMPLES = r"""
- name: Everything in wave 1
  azmove.site_recovery.source_vm_info:
    use_connection: source
    tags:
      move-wave: "1"
  register: wave1

- name: What vm-app-win01 depends on, and who else uses it
  azmove.site_recovery.source_vm_info:
    use_connection: source
    names: [vm-app-win01]
    dependencies: true
  register: deps

- name: Refuse a wave that leaves a machine behind on a shared load balancer
  ansible.builtin.assert:
    that: deps.dependencies.resources | selectattr('type', 'equalto', 'load_balancer')
          | selectattr('shared_outside_scope') | list | length == 0
    fail_msg: "{{ deps.dependency_graph_mermaid }}"
"""

RETURN = r"""
vms:
  description: The VMs in scope, sorted by name. Keys are the host variables of the inventory plugin without its prefix.
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: Resource id.
      type: str
    name:
      description: VM name.
      type: str
    resource_group:
      description: Resource group.
      type: str
    subscription_id:
      description: Subscription.
      type: str
    location:
      description: Region.
      type: str
    computer_name:
      description: Host name in the guest.
      type: str
    os_type:
      description: V(Windows) or V(Linux).
      type: str
    os_name:
      description: OS as the guest agent reports it, else the image offer and SKU.
      type: str
    os_version:
      description: OS version as the guest agent reports it (null without O(power_state) or when stopped).
      type: str
    image:
      description: Image reference (publisher, offer, sku, version), null for specialized disks.
      type: dict
      sample: {publisher: MicrosoftWindowsServer, offer: WindowsServer, sku: 2019-Datacenter, version: latest}
    size:
      description: VM size.
      type: str
    vcpus:
      description: vCPUs of the size (resource SKU capability C(vCPUs)).
      type: int
    memory_gb:
      description: Memory of the size in GiB (resource SKU capability C(MemoryGB)).
      type: float
    size_family:
      description: Quota family of the size, for example V(standardDSv3Family).
      type: str
    power_state:
      description: For example V(running), V(stopped), V(deallocated).
      type: str
    private_ips:
      description: Private IP addresses, the primary NIC's primary configuration first.
      type: list
      elements: str
    public_ips:
      description: Public IP addresses.
      type: list
      elements: str
    os_disk:
      description: OS disk (name, id, size_gb, sku, caching).
      type: dict
      sample: {name: vm-app-win01_OsDisk_1, id: /subscriptions/.../disks/vm-app-win01_OsDisk_1, size_gb: 127, sku: Premium_LRS, caching: ReadWrite}
    data_disks:
      description: Data disks (lun, name, id, size_gb, sku, caching).
      type: list
      elements: dict
      sample: [{lun: 0, name: vm-app-win01-data0, id: /subscriptions/.../disks/vm-app-win01-data0, size_gb: 256, sku: Premium_LRS, caching: ReadOnly}]
    disk_size_gb_total:
      description: OS and data disks, in GiB.
      type: int
    nics:
      description:
        - Network interfaces, primary first, with C(ip_configurations) (private IP and allocation, subnet, its address
          prefix, NSG and route table, virtual network, public IP, load balancer backend pools).
      type: list
      elements: dict
      sample: [{name: vm-app-win01-nic0, id: /subscriptions/.../networkInterfaces/vm-app-win01-nic0, primary: true,
          ip_configurations: [{private_ip: 10.10.1.4, allocation: Static, subnet: snet-app, address_prefix: 10.10.1.0/24,
          virtual_network: vnet-app-gov}]}]
    virtual_network:
      description: Virtual network of the primary IP configuration.
      type: str
    virtual_network_id:
      description: Its id.
      type: str
    subnet:
      description: Subnet of the primary IP configuration.
      type: str
    subnet_id:
      description: Its id.
      type: str
    network_security_groups:
      description: NSGs that apply (id, name, applies_to V(network_interface) or V(subnet)).
      type: list
      elements: dict
      sample: [{id: /subscriptions/.../networkSecurityGroups/nsg-app, name: nsg-app, applies_to: subnet}]
    route_tables:
      description: Route tables of the VM's subnets (id, name).
      type: list
      elements: dict
      sample: [{id: /subscriptions/.../routeTables/rt-app, name: rt-app}]
    public_ip_addresses:
      description: Public IP resources (id, name, ip_address, sku, allocation, fqdn).
      type: list
      elements: dict
      sample: [{id: /subscriptions/.../publicIPAddresses/pip-app-win01, name: pip-app-win01, ip_address: 52.227.1.10, sku: Standard,
          allocation: Static, fqdn: null}]
    load_balancers:
      description: Load balancers whose backend pools hold the VM (id, name, sku, backend_pools).
      type: list
      elements: dict
      sample: [{id: /subscriptions/.../loadBalancers/lb-app, name: lb-app, sku: Standard, backend_pools: [bepool-app]}]
    availability_set:
      description: Availability set name, or null.
      type: str
    availability_set_id:
      description: Its id.
      type: str
    zone:
      description: Availability zone, or null.
      type: str
    tags:
      description: Tags.
      type: dict
      sample: {wave: "1", app: billing}
    wave:
      description: Value of the O(wave_tag) tag, or null.
      type: str
  sample:
    - id: /subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-app-gov/providers/Microsoft.Compute/virtualMachines/vm-app-win01
      name: vm-app-win01
      resource_group: rg-app-gov
      location: usgovvirginia
      os_type: Windows
      os_name: Windows Server 2019
      size: Standard_D4s_v3
      vcpus: 4
      memory_gb: 16
      power_state: running
      private_ips: [10.10.1.4]
      subnet: snet-app
      availability_set: AVSET-APP-WIN
      zone: null
      wave: "1"
dependencies:
  description: What the VMs in scope depend on. Only with O(dependencies=true).
  returned: when O(dependencies=true)
  type: dict
  contains:
    scope:
      description: Names of the VMs in scope.
      type: list
      elements: str
    resources:
      description: One entry per resource the VMs in scope depend on.
      type: list
      elements: dict
      contains:
        id:
          description: Resource id.
          type: str
        name:
          description: Resource name; for a subnet, C(<virtual network>/<subnet>).
          type: str
        type:
          description:
            - V(virtual_network), V(subnet), V(network_security_group), V(route_table), V(public_ip_address),
              V(load_balancer) or V(availability_set).
          type: str
        resource_group:
          description: Resource group of the resource.
          type: str
        used_by:
          description: Names of the VMs in scope that use it.
          type: list
          elements: str
        used_outside_scope_by:
          description: Names of the VMs outside the scope that use it.
          type: list
          elements: str
        shared_outside_scope:
          description: Whether VMs outside the scope use it too.
          type: bool
    edges:
      description: From a VM in scope (or the subnet a dependency comes through) to what it depends on (from, to, relation).
      type: list
      elements: dict
      sample: [{from: vm-app-win01, to: /subscriptions/.../subnets/snet-app, relation: subnet}]
    outside_edges:
      description: From a VM outside the scope to a shared resource it uses (from, to, relation).
      type: list
      elements: dict
      sample: [{from: vm-other-01, to: /subscriptions/.../networkSecurityGroups/nsg-app, relation: network_security_group}]
    shared_outside_scope:
      description: Ids of the resources that VMs outside the scope also use.
      type: list
      elements: str
dependency_graph_mermaid:
  description: The dependency analysis as a Mermaid flowchart; shared resources are red, VMs outside the scope dashed.
  returned: when O(dependencies=true)
  type: str
  sample: "flowchart LR\n  subgraph scope[\"In scope\"]\n    n0[\"vm-app-win01<br/>VM\"]:::vm\n  end\n"
connection:
  description: The connection the task used (never its secrets).
  returned: always
  type: dict
  contains:
    name:
      description: The connection's name (of O(connections)), or C(default) when the task's own options were used.
      type: str
      sample: source
    cloud:
      description: The Azure cloud it reaches, C(AzureCloud) or C(AzureUSGovernment).
      type: str
      sample: AzureUSGovernment
    resource_manager:
      description: That cloud's Azure Resource Manager endpoint.
      type: str
      sample: "https://management.usgovcloudapi.net/"
    subscription_id:
      description: The subscription it works in.
      type: str
      sample: "00000000-0000-0000-0000-000000000000"
    auth_source:
      description: How the token was obtained (one of O(auth_source)'s choices, as resolved by V(auto)).
      type: str
      sample: client_secret
"""

import traceback

from ansible.module_utils.basic import missing_required_lib

from ansible_collections.azmove.site_recovery.plugins.module_utils._discovery import Discovery, discover, mermaid
from ansible_collections.azmove.site_recovery.plugins.module_utils._module import AzureModule, run


def main():
    module = AzureModule(
        argument_spec=dict(
            subscription_ids=dict(type="list", elements="str"),
            resource_groups=dict(type="list", elements="str"),
            tags=dict(type="dict"),
            names=dict(type="list", elements="str"),
            exclude_names=dict(type="list", elements="str"),
            wave_tag=dict(type="str", default="move-wave"),
            power_state=dict(type="bool", default=True),
            dependencies=dict(type="bool", default=False),
        ),
    )
    p = module.params

    def body():
        conn = module.connection()
        subscriptions = p["subscription_ids"] or [conn.subscription_id]
        try:
            discoveries = [Discovery.for_connection(conn, sub) for sub in subscriptions]
        except ImportError:
            module.module.fail_json(msg=missing_required_lib("azure-mgmt-compute and azure-mgmt-network"),
                                    exception=traceback.format_exc())
        filters = dict(resource_groups=p["resource_groups"], tags=p["tags"], names=p["names"],
                       exclude_names=p["exclude_names"])
        vms, analysis = discover(discoveries, filters, with_power_state=p["power_state"], wave_tag=p["wave_tag"],
                                 dependencies=p["dependencies"])
        result = dict(vms=vms, connection=conn.describe())
        if analysis is not None:
            result["dependencies"] = analysis
            result["dependency_graph_mermaid"] = mermaid(analysis, vms)
        module.exit(False, **result)

    run(module, body, action="source_vm_info")


if __name__ == "__main__":
    main()
