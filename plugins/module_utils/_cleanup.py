# -*- coding: utf-8 -*-
# Copyright (c) 2026 azmove.site_recovery contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This is a private module_utils file of azmove.site_recovery: it may change without notice.

"""Discarding what the move created in the target: which container mappings, replication policies, test
networks, cache storage accounts, server registrations and the vault can go, which must stay and why, and the
order Azure needs (mappings before their policies, registrations after, the vault last).

Everything here is pure: the module reads Azure into plain dicts (REST names) and this file decides. A resource is
kept as soon as anything still uses it: a replicated item (of this vault or, for networks and storage accounts, of
any vault of the subscription), a network interface, a mapping that stays, a backup item."""

from __future__ import annotations

from ._asr import arm_id_upto, lower, name_of, props  # noqa: F401  (re-exported: the modules use them from here)

# Kinds in deletion order.
KINDS = ("mapping", "policy", "test_network", "cache_storage_account", "registration", "vault")
AZURE_TARGET = "microsoft azure"
SERVER_TYPES = {"vmware": "configuration server", "inmagercm": "replication appliance"}


def parent_of(arm_id, segment):
    """The id up to and including the child named after ``segment``: parent_of(item id, 'replicationFabrics')."""
    return arm_id_upto(arm_id, segment)


def same(a, b):
    return bool(a) and lower(a) == lower(b)


def network_of(arm_id):
    """A virtual network id from a network or subnet id."""
    return parent_of(arm_id, "virtualNetworks") or arm_id


# -- what a replicated item uses ----------------------------------------------------------------------------------
def machine_name(item):
    return props(item).get("friendlyName") or (item or {}).get("name")


def item_uses(item):
    """What one replicated item (either provider) still needs, from its provider-specific details.

    Returns {"machine", "policy", "container", "fabric", "storage": [ids], "storage_unknown": bool,
    "test_networks": [ids], "target_networks": [ids]}. ``storage_unknown`` is true when the item does not (yet)
    say which cache account it uses - an InMageRcm item whose disks are not reported before its enable job ends.
    """
    p = props(item)
    psd = p.get("providerSpecificDetails") or {}
    kind = lower(psd.get("instanceType"))
    storage = [psd.get(k) for k in ("recoveryAzureLogStorageAccountId", "recoveryAzureStorageAccount", "storageAccountId",
                                    "logStorageAccountId")]
    for disk in (psd.get("protectedDisks") or []) + (psd.get("protectedManagedDisks") or []):
        storage.append(disk.get("logStorageAccountId"))
    storage = [s for s in storage if s]
    tests = [psd.get(k) for k in ("testNetworkId", "selectedTfoAzureNetworkId")]
    targets = [psd.get(k) for k in ("targetNetworkId", "selectedRecoveryAzureNetworkId", "recoveryAzureNetworkId")]
    return {
        "machine": machine_name(item),
        "policy": p.get("policyId"),
        "container": parent_of(item.get("id"), "replicationProtectionContainers"),
        "fabric": parent_of(item.get("id"), "replicationFabrics"),
        "storage": storage,
        "storage_unknown": kind == "inmagercm" and not storage,
        "test_networks": [network_of(t) for t in tests if t],
        "target_networks": [network_of(t) for t in targets if t],
    }


def machines(uses):
    return ", ".join(sorted({u["machine"] for u in uses}))


def _plural(uses, one="machine", many="machines"):
    return one if len({u["machine"] for u in uses}) == 1 else many


# -- the plan -------------------------------------------------------------------------------------------------------
def plan(facts, request):
    """What to delete, in order, and what to keep, with the reason.

    facts (as Azure returns them, REST names):
      vault: the vault, or None when it is gone
      items: replicated items of this vault
      other_items: [(vault name, item)] of the other vaults of the subscription
      mappings, policies, fabrics: this vault's protection container mappings, replication policies, fabrics
      networks: the test networks asked for that exist; nics: network interfaces of the subscription
      storage_accounts: the cache storage accounts asked for that exist
      backup_items: number of items Azure Backup protects in the vault
    request: {"policies": bool, "registration": bool, "vault": bool}
    Returns {"delete": [{"kind", "id", "name"}], "kept": [{"kind", "id", "name", "reason"}]}.
    """
    items = [item_uses(i) for i in facts.get("items") or []]
    others = [(vault, item_uses(i)) for vault, i in facts.get("other_items") or []]
    delete, kept = [], []

    def go(kind, doc, name=None):
        delete.append({"kind": kind, "id": doc["id"], "name": name or doc.get("name") or name_of(doc["id"])})

    def keep(kind, doc, reason, name=None):
        kept.append({"kind": kind, "id": doc["id"], "name": name or doc.get("name") or name_of(doc["id"]), "reason": reason})

    # Mappings: one whose container still holds a replicated item stays (its failback mapping too: the machine may
    # still need to be reprotected).
    kept_mappings = []
    for mapping in facts.get("mappings") or []:
        mp = props(mapping)
        container = parent_of(mapping["id"], "replicationProtectionContainers")
        users = [u for u in items if same(u["container"], container)]
        through = [u for u in users if same(u["policy"], mp.get("policyId"))]
        label = "%s of %s" % (mp.get("policyFriendlyName") or name_of(mp.get("policyId")), mp.get("sourceFabricFriendlyName") or name_of(container))
        if not request.get("policies"):
            keep("mapping", mapping, "policies is false", label)
            kept_mappings.append(mapping)
        elif through:
            keep("mapping", mapping, "%s %s still %s through policy %s" % (
                _plural(through), machines(through), "replicates" if len(through) == 1 else "replicate",
                mp.get("policyFriendlyName") or name_of(mp.get("policyId"))), label)
            kept_mappings.append(mapping)
        elif users:
            keep("mapping", mapping, "%s %s still %s through the same server (its failback association stays)" % (
                _plural(users), machines(users), "replicates" if len(users) == 1 else "replicate"), label)
            kept_mappings.append(mapping)
        else:
            go("mapping", mapping, label)

    for policy in facts.get("policies") or []:
        through = [u for u in items if same(u["policy"], policy["id"])]
        holders = [m for m in kept_mappings if same(props(m).get("policyId"), policy["id"])]
        if not request.get("policies"):
            keep("policy", policy, "policies is false")
        elif through:
            keep("policy", policy, "%s %s still %s through policy %s" % (
                _plural(through), machines(through), "replicates" if len(through) == 1 else "replicate", policy.get("name")))
        elif holders:
            containers = {lower(parent_of(m["id"], "replicationProtectionContainers")) for m in holders}
            users = [u for u in items if lower(u["container"]) in containers]
            servers = ", ".join(sorted({props(m).get("sourceFabricFriendlyName") or name_of(parent_of(m["id"], "replicationFabrics"))
                                        for m in holders}))
            keep("policy", policy, "still associated with server %s%s" % (servers, (
                ", through which %s %s still %s" % (_plural(users), machines(users), "replicates" if len(users) == 1 else "replicate")
            ) if users else ""))
        else:
            go("policy", policy)

    everyone = [(facts.get("vault_name"), u) for u in items] + others

    def who(pairs):
        names = sorted({"%s (vault %s)" % (u["machine"], v) if v != facts.get("vault_name") else u["machine"] for v, u in pairs})
        return "%s %s" % ("machine" if len(names) == 1 else "machines", ", ".join(names))

    def verb(pairs, one, many):
        return one if len({(v, u["machine"]) for v, u in pairs}) == 1 else many

    for net in facts.get("networks") or []:
        testing = [(v, u) for v, u in everyone if any(same(t, net["id"]) for t in u["test_networks"])]
        targeting = [(v, u) for v, u in everyone if any(same(t, net["id"]) for t in u["target_networks"])]
        nics = []
        for nic in facts.get("nics") or []:
            for conf in props(nic).get("ipConfigurations") or []:
                subnet = (props(conf).get("subnet") or {}).get("id")
                if same(network_of(subnet), net["id"]):
                    vm = (props(nic).get("virtualMachine") or {}).get("id")
                    nics.append("%s%s" % (nic.get("name"), " (VM %s)" % name_of(vm) if vm else ""))
                    break
        if testing:
            keep("test_network", net, "%s still %s it as test network" % (who(testing), verb(testing, "uses", "use")))
        elif targeting:
            keep("test_network", net, "it is the target network of %s" % who(targeting))
        elif nics:
            keep("test_network", net, "network interface %s still connected to it" % ", ".join(sorted(nics)))
        else:
            go("test_network", net)

    unknown = [(v, u) for v, u in everyone if u["storage_unknown"]]
    for account in facts.get("storage_accounts") or []:
        users = [(v, u) for v, u in everyone if any(same(s, account["id"]) for s in u["storage"])]
        if users:
            keep("cache_storage_account", account, "%s still %s through it" % (who(users), verb(users, "replicates", "replicate")))
        elif unknown:
            keep("cache_storage_account", account, "%s %s not report %s cache storage account yet (enabling replication is "
                 "still running); run again once it does" % (who(unknown), verb(unknown, "does", "do"), verb(unknown, "its", "their")))
        else:
            go("cache_storage_account", account)

    fabrics_left = []
    for fabric in facts.get("fabrics") or []:
        fp = props(fabric)
        kind = lower((fp.get("customDetails") or {}).get("instanceType"))
        if kind not in SERVER_TYPES:
            continue  # the "Microsoft Azure" side, not a registration
        label = "%s %s" % (SERVER_TYPES[kind], fp.get("friendlyName") or fabric.get("name"))
        users = [u for u in items if same(u["fabric"], fabric["id"])]
        if users:
            keep("registration", fabric, "%s %s still %s through it" % (
                _plural(users), machines(users), "replicates" if len(users) == 1 else "replicate"), label)
            fabrics_left.append(label)
        elif not request.get("registration"):
            keep("registration", fabric, "remove_registration is false", label)
            fabrics_left.append(label)
        else:
            go("registration", fabric, label)

    vault = facts.get("vault")
    if vault:
        if items:
            keep("vault", vault, "it still replicates %s %s" % (_plural(items), machines(items)))
        elif fabrics_left:
            keep("vault", vault, "%s is still registered with it" % ", ".join(fabrics_left))
        elif facts.get("backup_items"):
            keep("vault", vault, "Azure Backup still protects %s item(s) in it" % facts["backup_items"])
        elif not request.get("vault"):
            keep("vault", vault, "delete_vault is false")
        else:
            go("vault", vault)
    return {"delete": delete, "kept": kept}


def by_kind(entries):
    out = {kind: [] for kind in KINDS}
    for entry in entries:
        out[entry["kind"]].append(entry["id"])
    return out


def as_diff(planned):
    """Before/after of a diff: what exists now, and what is left after the run."""
    before = by_kind(planned["delete"] + planned["kept"])
    after = by_kind(planned["kept"])
    return before, after
