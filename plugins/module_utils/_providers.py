# -*- coding: utf-8 -*-
# Copyright (c) 2026 azmove.site_recovery contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This is a private module_utils file of azmove.site_recovery: it may change without notice.

"""The one seam between what users write and what each Site Recovery provider takes.

Users write plain settings (retention in hours, a target network by name, ...). A provider
turns them into its own request bodies, checks its own limits before any call, and reads its
own ``providerSpecificDetails`` back into the same plain summary. The classic physical-server
provider (``InMageAzureV2``, a configuration server) is here; the modernized one
(``InMageRcm``, a replication appliance) plugs in beside it with the same methods.
"""

from __future__ import annotations

import uuid


class InputError(ValueError):
    """Bad input, found before anything was sent to Azure."""


# Plain-words phases, the same for every provider.
PHASES = (
    "discovered",
    "enabling",
    "enable_failed",
    "initial_replication",
    "protected",
    "test_failover_running",
    "test_failover_pending_cleanup",
    "test_failover_cleaning_up",
    "failing_over",
    "failed_over",
    "committing",
    "committed",
    "disabling",
    "migrated",
    "unknown",
)

# protectionState values (REST), mapped to phases. Real values are from recorded traffic (Az PowerShell's Site Recovery
# test session records) and the REST examples of Azure/azure-rest-api-specs
# (specification/recoveryservicessiterecovery/.../stable/2025-08-01/examples); the rest are the ASR service's state
# names.
_STATE_PHASES = {
    "enablingprotection": "enabling",
    "enablingfailed": "enable_failed",
    # An item exists, so replication is being set up: a protectable machine with no item is "discovered".
    "unprotectedstatesbegin": "enabling",
    "protectedstatesbegin": "initial_replication",
    "initialreplicationinprogress": "initial_replication",
    "initialreplicationfailed": "enable_failed",
    "protected": "protected",
    "unplannedfailoverinprogress": "failing_over",
    "unplannedfailoverinitiated": "failing_over",
    "unplannedfailoverfailed": "protected",
    "unplannedfailovercommitpendingstatesbegin": "failed_over",
    "failovercommitpending": "failed_over",
    "unplannedfailovercommitinprogress": "committing",
    "unplannedfailovercommitted": "committed",
    "unplannedfailovercompletedstatesbegin": "committed",
    "failovercommitted": "committed",
    "plannedfailovercommitrequired": "failed_over",
    "disablingprotection": "disabling",
    "disablingfailed": "protected",
}


# Job states of a job that has not ended (a Suspended job waits for someone to resume it).
JOB_NOT_ENDED = ("notstarted", "inprogress", "cancelling", "suspended")


def phase_of(item, running_scenario=None, job_state=None):
    """The plain-words phase of a replicated item (a REST dict).

    ``running_scenario`` is the item's currentScenario name; ``job_state`` the state of the job it
    names, when the caller read it (None: not read). States win over the current scenario: Azure
    leaves a finished test failover as the item's currentScenario until cleanup, and a failed enable
    job too, so a test failover is running only while testFailoverState or its job says so.
    testFailoverState stays MarkedForDeletion after a cleanup (and through failover), so it means
    "cleaning up" only while the cleanup job is the current scenario.
    """
    p = (item or {}).get("properties") or {}
    scenario = (running_scenario or "").lower()
    job = (job_state or "").lower()
    state = (p.get("protectionState") or "").lower()
    phase = _STATE_PHASES.get(state)
    if phase == "enable_failed":
        return phase
    if job and job not in JOB_NOT_ENDED:
        if scenario in ("enableprotection", "enabledr") and job in ("failed", "cancelled"):
            return "enable_failed"
        scenario = ""  # the job ended: the scenario Azure still lists says nothing about now
    tfo = (p.get("testFailoverState") or "").lower()
    if tfo == "waitingforcompletion":
        return "test_failover_pending_cleanup"
    if tfo in ("inprogress", "testfailoverinitiated") or (scenario == "testfailover" and job):
        return "test_failover_running"
    if scenario == "testfailovercleanup":
        return "test_failover_cleaning_up"
    by_scenario = _SCENARIO_PHASES.get(scenario)
    if by_scenario:
        return by_scenario
    if phase is None:
        phase = _phase_from_description((p.get("protectionStateDescription") or "").lower())
    if phase == "protected" and (p.get("activeLocation") or "").lower() == "recovery":
        phase = "failed_over"
    return phase


_SCENARIO_PHASES = {
    "enableprotection": "enabling",
    "enabledr": "enabling",
    "unplannedfailover": "failing_over",
    "failover": "failing_over",
    "commitfailover": "committing",
    "failovercommit": "committing",
    "disableprotection": "disabling",
    "disabledr": "disabling",
}


def _phase_from_description(description):
    if "commit" in description and "pending" not in description:
        return "committed"
    if "failover" in description:
        return "failed_over"
    if "initial" in description or "resync" in description:
        return "initial_replication"
    if "enabl" in description:
        return "enabling"
    return "unknown"


def _progress(p):
    details = p.get("providerSpecificDetails") or {}
    for key in ("resyncProgressPercentage", "initialReplicationProgressPercentage"):
        if details.get(key) is not None:
            return details[key]
    return None


def health_errors(item):
    p = (item or {}).get("properties") or {}
    out = []
    for err in (p.get("healthErrors") or []) + (p.get("replicationHealthErrors") or []):
        out.append(
            {
                "code": err.get("errorCode"),
                "message": err.get("errorMessage") or err.get("summaryMessage"),
                "possible_causes": err.get("possibleCauses"),
                "recommended_action": err.get("recommendedAction"),
                "level": err.get("errorLevel"),
                "source": err.get("errorSource"),
                "time": err.get("creationTimeUtc"),
            }
        )
    return out


def _minutes(hours):
    return int(round(float(hours) * 60))


def _check_frequencies(settings, app_minimum):
    """App-consistent 0 (off) or app_minimum..720 minutes and within the retention; crash-consistent >= 5."""
    app = settings["app_consistent_frequency_minutes"]
    if app < 0 or app > 720 or 0 < app < app_minimum:
        raise InputError(
            "app_consistent_frequency_minutes must be 0 (off) or %d to 720 minutes (12 hours); it is %s." % (app_minimum, app)
        )
    if app and app > _minutes(settings["retention_hours"]):
        raise InputError(
            "app_consistent_frequency_minutes (%s) must not exceed the retention (%s hours = %d minutes)."
            % (app, settings["retention_hours"], _minutes(settings["retention_hours"]))
        )
    if settings["crash_consistent_frequency_minutes"] < 5:
        raise InputError("crash_consistent_frequency_minutes must be at least 5.")


def _optional_target(details, spec, tags_as_map=False):
    """The optional target settings both providers' enable inputs name alike, and the target VM's tags
    (InMageAzureV2 takes tags as a map, InMageRcm as a list of tagName/tagValue: SDK 2.0.0 models)."""
    optional = (
        ("targetVmSize", "target_vm_size"),
        ("targetAvailabilitySetId", "availability_set_id"),
        ("targetAvailabilityZone", "availability_zone"),
        ("targetProximityPlacementGroupId", "proximity_placement_group_id"),
        ("licenseType", "license_type"),
    )
    for key, name in optional:
        if spec.get(name):
            details[key] = spec[name]
    if spec.get("tags") and tags_as_map:
        details["targetVmTags"] = {k: str(v) for k, v in sorted(spec["tags"].items())}
    elif spec.get("tags"):
        details["targetVmTags"] = [{"tagName": k, "tagValue": str(v)} for k, v in sorted(spec["tags"].items())]


class Classic:
    """Classic physical servers through a configuration server: provider ``InMageAzureV2``."""

    name = "classic"
    instance_type = "InMageAzureV2"
    failback_instance_type = "InMage"
    fabric_type = "VMware"
    # Tutorial limits (physical-azure-disaster-recovery.md): retention at most 24 h on premium
    # storage, 72 h on standard.
    retention_limit_hours = {"premium": 24, "standard": 72}
    defaults = dict(
        retention_hours=24,
        rpo_threshold_minutes=60,
        app_consistent_frequency_minutes=60,
        crash_consistent_frequency_minutes=5,
        multi_vm_sync=True,
    )

    def policy_settings(self, params):
        """Plain policy settings with defaults filled in; raises InputError on a limit."""
        settings = {k: (params.get(k) if params.get(k) is not None else v) for k, v in self.defaults.items()}
        storage = params.get("target_storage") or "standard"
        limit = self.retention_limit_hours[storage]
        if not 0 < settings["retention_hours"] <= limit:
            raise InputError(
                "retention_hours is %s, but the classic provider keeps recovery points at most %d hours on %s "
                "storage (%s); lower retention_hours%s."
                % (
                    settings["retention_hours"],
                    limit,
                    storage,
                    "24 hours on premium, 72 hours on standard",
                    " or set target_storage: standard" if storage == "premium" and settings["retention_hours"] <= 72 else "",
                )
            )
        if settings["rpo_threshold_minutes"] <= 0:
            raise InputError("rpo_threshold_minutes must be a positive number of minutes.")
        _check_frequencies(settings, app_minimum=1)
        return settings

    def policy_input(self, settings):
        return {
            "properties": {
                "providerSpecificInput": {
                    "instanceType": self.instance_type,
                    "recoveryPointHistory": _minutes(settings["retention_hours"]),
                    "recoveryPointThresholdInMinutes": settings["rpo_threshold_minutes"],
                    "appConsistentFrequencyInMinutes": settings["app_consistent_frequency_minutes"],
                    "crashConsistentFrequencyInMinutes": settings["crash_consistent_frequency_minutes"],
                    "multiVmSyncStatus": "Enable" if settings["multi_vm_sync"] else "Disable",
                }
            }
        }

    def failback_policy_input(self, settings):
        """The failback policy Azure pairs with a classic policy (the portal's ``<name>-failback``)."""
        return {
            "properties": {
                "providerSpecificInput": {
                    "instanceType": self.failback_instance_type,
                    "recoveryPointHistory": _minutes(settings["retention_hours"]),
                    "recoveryPointThresholdInMinutes": settings["rpo_threshold_minutes"],
                    "appConsistentFrequencyInMinutes": settings["app_consistent_frequency_minutes"],
                    "multiVmSyncStatus": "Enable" if settings["multi_vm_sync"] else "Disable",
                }
            }
        }

    @staticmethod
    def policy_settings_from(policy):
        """Plain settings of an existing policy (any provider's details)."""
        d = ((policy or {}).get("properties") or {}).get("providerSpecificDetails") or {}
        history = d.get("recoveryPointHistory", d.get("recoveryPointHistoryInMinutes"))
        sync = d.get("multiVmSyncStatus", d.get("enableMultiVmSync"))
        return {
            "provider": d.get("instanceType"),
            "retention_hours": None if history is None else history / 60.0,
            "rpo_threshold_minutes": d.get("recoveryPointThresholdInMinutes"),
            "app_consistent_frequency_minutes": d.get("appConsistentFrequencyInMinutes"),
            "crash_consistent_frequency_minutes": d.get("crashConsistentFrequencyInMinutes"),
            "multi_vm_sync": None if sync is None else str(sync).lower() in ("enable", "enabled", "true"),
        }

    def enable_input(self, spec):
        """EnableProtectionInput for one machine. ``spec`` holds resolved ARM ids and names."""
        details = {
            "instanceType": self.instance_type,
            "processServerId": spec["process_server_id"],
            "masterTargetId": spec.get("master_target_id") or spec["process_server_id"],
            "runAsAccountId": spec["run_as_account_id"],
            "targetAzureV2ResourceGroupId": spec["target_resource_group_id"],
            "targetAzureNetworkId": spec["target_network_id"],
            # Despite its name Az PowerShell sends the subnet's name here (RecoveryAzureSubnetName).
            "targetAzureSubnetId": spec["target_subnet_id"].rstrip("/").rsplit("/", 1)[-1],
            "targetAzureVmName": spec["target_vm_name"],
            "enableRdpOnTargetOption": "Never",
            "multiVmGroupName": spec.get("multi_vm_group") or spec["target_vm_name"],
            # The group's id: the existing group's (see multi_vm_group_id) or a new one, as PowerShell does.
            "multiVmGroupId": spec.get("multi_vm_group_id") or str(uuid.uuid4()),
        }
        if spec.get("log_storage_account_id"):
            details["logStorageAccountId"] = spec["log_storage_account_id"]
            details["diskType"] = spec.get("disk_type") or "Standard_LRS"
        if spec.get("storage_account_id"):
            details["storageAccountId"] = spec["storage_account_id"]
        _optional_target(details, spec, tags_as_map=True)
        return {
            "properties": {
                "policyId": spec["policy_id"],
                "protectableItemId": spec["protectable_item_id"],
                "providerSpecificDetails": details,
            }
        }

    @staticmethod
    def multi_vm_group_id(items, group_name):
        """The id of the container's InMageAzureV2 replication group named ``group_name``, or None (a new group)."""
        for item in items or []:
            d = ((item or {}).get("properties") or {}).get("providerSpecificDetails") or {}
            if (d.get("instanceType") or "").lower() == "inmageazurev2" and d.get("multiVmGroupId") and \
                    (d.get("multiVmGroupName") or "").lower() == (group_name or "").lower():
                return d["multiVmGroupId"]
        return None

    @staticmethod
    def _nics(item):
        return ((((item or {}).get("properties") or {}).get("providerSpecificDetails") or {}).get("vmNics")) or []

    @classmethod
    def _primary(cls, item):
        """(primary NIC, its primary IP configuration) of the item (VMNicDetails / IPConfigDetails)."""
        nics = cls._nics(item)
        selected = (((item or {}).get("properties") or {}).get("providerSpecificDetails") or {}).get("selectedSourceNicId")
        nic = next((n for n in nics if selected and n.get("nicId") == selected), nics[0] if nics else {})
        configs = nic.get("ipConfigs") or []
        return nic, next((c for c in configs if c.get("isPrimary")), configs[0] if configs else {})

    @classmethod
    def nic_subnet(cls, item):
        """The target subnet of the item's primary NIC: vmNics[].ipConfigs[].recoverySubnetName for InMageAzureV2."""
        return cls._primary(item)[1].get("recoverySubnetName")

    # IPConfigDetails (read) keys copied to IPConfigInputDetails (update), SDK 2.0.0.
    _IP_CONFIG_COPY = (("name", "ipConfigName"), ("isPrimary", "isPrimary"), ("isSeletedForFailover", "isSeletedForFailover"),
                       ("recoverySubnetName", "recoverySubnetName"), ("recoveryStaticIPAddress", "recoveryStaticIPAddress"),
                       ("recoveryPublicIPAddressId", "recoveryPublicIPAddressId"),
                       ("recoveryLBBackendAddressPoolIds", "recoveryLBBackendAddressPoolIds"), ("tfoSubnetName", "tfoSubnetName"),
                       ("tfoStaticIPAddress", "tfoStaticIPAddress"))

    @classmethod
    def update_input(cls, spec, item, subnet):
        """UpdateReplicationProtectedItemInput: the target settings Azure changes in place. The item's NICs are sent
        back as they are (VMNicInputDetails), but for the target subnet of the primary NIC's primary IP config."""
        body = {"recoveryAzureVMName": spec["target_vm_name"], "selectedRecoveryAzureNetworkId": spec["target_network_id"]}
        for key, value in (("recoveryAzureVMSize", spec["target_vm_size"]), ("licenseType", spec["license_type"]),
                           ("recoveryAvailabilitySetId", spec["availability_set_id"])):
            if value:
                body[key] = value
        primary_nic, primary_config = cls._primary(item)
        nics = []
        for nic in cls._nics(item) if subnet else []:
            entry = {"nicId": nic.get("nicId"), "selectionType": nic.get("selectionType") or "SelectedByUser", "ipConfigs": []}
            for config in nic.get("ipConfigs") or []:
                sent = {dst: config[src] for src, dst in cls._IP_CONFIG_COPY if config.get(src) is not None}
                if nic is primary_nic and config is primary_config:
                    sent["recoverySubnetName"] = subnet
                entry["ipConfigs"].append(sent)
            nics.append(entry)
        if nics:
            body["vmNics"] = nics
        return {"properties": body}

    def test_failover_details(self, recovery_point_id, network_id):
        details = {"instanceType": self.instance_type}
        if recovery_point_id:
            details["recoveryPointId"] = recovery_point_id
        return details

    def unplanned_failover_details(self, recovery_point_id, shutdown):
        """Classic takes the shutdown as the input's sourceSiteOperations only."""
        details = {"instanceType": self.instance_type}
        if recovery_point_id:
            details["recoveryPointId"] = recovery_point_id
        return details

    @staticmethod
    def target_of(item):
        """What an existing item targets, in the plain names of the module's options."""
        d = ((item or {}).get("properties") or {}).get("providerSpecificDetails") or {}
        return {
            "vm_name": d.get("recoveryAzureVMName"),
            "vm_size": d.get("recoveryAzureVMSize"),
            "network_id": d.get("selectedRecoveryAzureNetworkId"),
            "resource_group_id": d.get("recoveryAzureResourceGroupId"),
            "log_storage_account_id": d.get("recoveryAzureLogStorageAccountId"),
            "availability_set_id": d.get("recoveryAvailabilitySetId"),
            "license_type": d.get("licenseType"),
            "test_network_id": d.get("selectedTfoAzureNetworkId"),
            "vm_id": d.get("targetVmId"),
        }

    @staticmethod
    def replication_of(item):
        """Progress and RPO of an item, from its provider details."""
        d = ((item or {}).get("properties") or {}).get("providerSpecificDetails") or {}
        progress = d.get("resyncProgressPercentage")
        if (d.get("protectionStage") or "").lower() == "differentialsync":
            # Real items report resyncProgressPercentage 0 once in differential sync: the initial copy is done.
            progress = 100
        return {
            "progress_percent": progress,
            "protection_stage": d.get("protectionStage"),
            "rpo_seconds": d.get("rpoInSeconds"),
            "last_rpo_calculated": d.get("lastRpoCalculatedTime"),
            "last_heartbeat": d.get("lastHeartbeat"),
            "agent_version": d.get("agentVersion"),
            "ip_address": d.get("ipAddress"),
            "os_type": d.get("osType"),
            "process_server_id": d.get("processServerId"),
            "vm_protection_state": d.get("vmProtectionState"),
        }


class Modernized(Classic):
    """Modernized physical servers through a replication appliance: provider ``InMageRcm``.

    What users write is the same as for the classic provider; what differs: no RPO threshold (the
    provider has none), retention up to 15 days, app-consistent points off by default or every 60
    to 720 minutes, a test network chosen at enable time, and the source shut down by the failover
    input's ``performShutdown``.
    """

    name = "modernized"
    instance_type = "InMageRcm"
    failback_instance_type = "InMageRcmFailback"
    fabric_type = "InMageRcm"
    retention_limit_hours = {"premium": 360, "standard": 360}
    # The portal's default policy: 3 days of recovery points, app-consistent points off.
    defaults = dict(
        retention_hours=72,
        app_consistent_frequency_minutes=0,
        crash_consistent_frequency_minutes=5,
        multi_vm_sync=True,
    )

    def policy_settings(self, params):
        if params.get("rpo_threshold_minutes") is not None:
            raise InputError(
                "rpo_threshold_minutes is a setting of the classic provider only: the modernized provider (InMageRcm) "
                "has no RPO threshold. Remove it, or set provider: classic for an existing classic vault."
            )
        settings = {k: (params.get(k) if params.get(k) is not None else v) for k, v in self.defaults.items()}
        if not 0 < settings["retention_hours"] <= 360:
            raise InputError(
                "retention_hours is %s, but the modernized provider (InMageRcm) keeps recovery points at most 15 days "
                "(360 hours)." % settings["retention_hours"]
            )
        _check_frequencies(settings, app_minimum=60)
        return settings

    def policy_input(self, settings):
        return {
            "properties": {
                "providerSpecificInput": {
                    "instanceType": self.instance_type,
                    "recoveryPointHistoryInMinutes": _minutes(settings["retention_hours"]),
                    "appConsistentFrequencyInMinutes": settings["app_consistent_frequency_minutes"],
                    "crashConsistentFrequencyInMinutes": settings["crash_consistent_frequency_minutes"],
                    "enableMultiVmSync": "True" if settings["multi_vm_sync"] else "False",
                }
            }
        }

    def failback_policy_input(self, settings):
        return {
            "properties": {
                "providerSpecificInput": {
                    "instanceType": self.failback_instance_type,
                    "appConsistentFrequencyInMinutes": settings["app_consistent_frequency_minutes"],
                    "crashConsistentFrequencyInMinutes": settings["crash_consistent_frequency_minutes"],
                }
            }
        }

    def enable_input(self, spec):
        details = {
            "instanceType": self.instance_type,
            "fabricDiscoveryMachineId": spec["protectable_item_id"],
            "processServerId": spec["process_server_id"],
            "runAsAccountId": spec["run_as_account_id"],
            "targetResourceGroupId": spec["target_resource_group_id"],
            "targetNetworkId": spec["target_network_id"],
            "targetSubnetName": spec["target_subnet_id"].rstrip("/").rsplit("/", 1)[-1],
            "targetVmName": spec["target_vm_name"],
            "multiVmGroupName": spec.get("multi_vm_group") or spec["target_vm_name"],
        }
        if spec.get("disks"):
            # Each disk with its own type (InMageRcmDiskInput), as the source had it.
            details["disksToInclude"] = [{"diskId": d["id"], "diskType": d["type"],
                                          "logStorageAccountId": spec["log_storage_account_id"]} for d in spec["disks"]]
        else:
            details["disksDefault"] = {"diskType": spec.get("disk_type") or "Standard_LRS",
                                       "logStorageAccountId": spec["log_storage_account_id"]}
        if spec.get("test_network_id"):
            details["testNetworkId"] = spec["test_network_id"]
            details["testSubnetName"] = spec.get("test_subnet") or details["targetSubnetName"]
        _optional_target(details, spec)
        for key, name in (("sqlServerLicenseType", "sql_license_type"), ("linuxLicenseType", "linux_license_type")):
            if spec.get(name):
                details[key] = spec[name]
        return {"properties": {"policyId": spec["policy_id"], "providerSpecificDetails": details}}

    @classmethod
    def _primary(cls, item):
        nics = cls._nics(item)
        nic = next((n for n in nics if str(n.get("isPrimaryNic")).lower() == "true"), nics[0] if nics else {})
        return nic, nic

    @classmethod
    def nic_subnet(cls, item):
        """The target subnet of the item's primary NIC (InMageRcmNicDetails.targetSubnetName)."""
        return cls._primary(item)[0].get("targetSubnetName")

    @staticmethod
    def nic_input(nic):
        """InMageRcmNicInput of a NIC as the item reports it (InMageRcmNicDetails): an update sends every NIC back
        with its current settings, isPrimaryNic (required) included; static addresses only when they are static."""
        sent = {"nicId": nic.get("nicId"), "isPrimaryNic": nic.get("isPrimaryNic") or "false"}
        for src, dst in (("isSelectedForFailover", "isSelectedForFailover"), ("targetSubnetName", "targetSubnetName"),
                         ("testSubnetName", "testSubnetName"), ("targetNicName", "targetNicName")):
            if nic.get(src) is not None:
                sent[dst] = nic[src]
        for prefix in ("target", "test"):
            if (nic.get(prefix + "IPAddressType") or "").lower() == "static" and nic.get(prefix + "IPAddress"):
                sent[prefix + "StaticIPAddress"] = nic[prefix + "IPAddress"]
        return sent

    @classmethod
    def nic_changes(cls, item, wanted):
        """What differs between the item's NICs and the planned ones (``wanted``: [{source_ip, primary, subnet,
        static_ip, test_subnet, test_static_ip}]), matched by the address the appliance found on the NIC (the
        item's sourceIPAddress): [{source_ip, field, current, wanted}]. A planned NIC the item lacks is an error
        of the caller's (it names the NICs the item has)."""
        nics = {(n.get("sourceIPAddress") or ""): n for n in cls._nics(item)}
        missing = [w["source_ip"] for w in wanted or [] if w.get("source_ip") not in nics]
        if missing:
            raise InputError("The replicated item has no NIC with source address %s (its NICs: %s)." % (
                ", ".join(missing), ", ".join(sorted(a for a in nics if a)) or "none"))
        out = []
        for w in wanted or []:
            nic = nics[w["source_ip"]]
            current = {
                "primary": str(nic.get("isPrimaryNic")).lower() == "true",
                "subnet": nic.get("targetSubnetName"),
                "static_ip": nic.get("targetIPAddress") if (nic.get("targetIPAddressType") or "").lower() == "static" else None,
                "test_subnet": nic.get("testSubnetName"),
                "test_static_ip": nic.get("testIPAddress") if (nic.get("testIPAddressType") or "").lower() == "static" else None,
            }
            for field, value in current.items():
                want = w.get(field)
                if field in ("test_subnet", "subnet") and not want:
                    continue  # not planned: left as it is
                if field == "primary":
                    want = bool(want)
                if (str(value or "").lower() if field != "primary" else value) != (str(want or "").lower() if field != "primary" else want):
                    out.append({"source_ip": w["source_ip"], "field": field, "current": value, "wanted": want})
        return out

    def update_input(self, spec, item, subnet):
        """InMageRcmUpdateReplicationProtectedItemInput: the same settings, in the provider's details; every NIC as
        the item has it (isPrimaryNic is required), with the planned NICs' subnets and static addresses, or only the
        primary NIC's target subnet."""
        details = {"instanceType": self.instance_type, "targetVmName": spec["target_vm_name"],
                   "targetNetworkId": spec["target_network_id"]}
        for key, value in (("targetVmSize", spec["target_vm_size"]), ("licenseType", spec["license_type"]),
                           ("targetAvailabilitySetId", spec["availability_set_id"]),
                           ("targetAvailabilityZone", spec.get("availability_zone")),
                           ("sqlServerLicenseType", spec.get("sql_license_type")),
                           ("linuxLicenseType", spec.get("linux_license_type"))):
            if value:
                details[key] = value
        if spec.get("tags"):
            details["targetVmTags"] = [{"tagName": k, "tagValue": str(v)} for k, v in sorted(spec["tags"].items())]
        planned = {w["source_ip"]: w for w in spec.get("nics") or []}
        primary = self._primary(item)[0]
        nics = []
        for nic in self._nics(item) if (subnet or planned) else []:
            sent = self.nic_input(nic)
            w = planned.get(nic.get("sourceIPAddress") or "")
            if w is not None:
                sent["isPrimaryNic"] = "true" if w.get("primary") else "false"
                if w.get("subnet"):
                    sent["targetSubnetName"] = w["subnet"]
                if w.get("test_subnet"):
                    sent["testSubnetName"] = w["test_subnet"]
                for key, field in (("targetStaticIPAddress", "static_ip"), ("testStaticIPAddress", "test_static_ip")):
                    if w.get(field):
                        sent[key] = w[field]
                    elif key in sent:
                        sent[key] = ""  # static now, dynamic planned: an empty address asks for a dynamic one
            elif nic is primary and subnet and not planned:
                sent.update(isPrimaryNic="true", targetSubnetName=subnet)
            nics.append(sent)
        if nics:
            details["vmNics"] = nics
        return {"properties": {"providerSpecificDetails": details}}

    def test_failover_details(self, recovery_point_id, network_id):
        details = {"instanceType": self.instance_type, "networkId": network_id}
        if recovery_point_id:
            details["recoveryPointId"] = recovery_point_id
        return details

    def unplanned_failover_details(self, recovery_point_id, shutdown):
        details = {"instanceType": self.instance_type, "performShutdown": "true" if shutdown else "false"}
        if recovery_point_id:
            details["recoveryPointId"] = recovery_point_id
        return details

    @staticmethod
    def target_of(item):
        d = ((item or {}).get("properties") or {}).get("providerSpecificDetails") or {}
        disks = d.get("protectedDisks") or [{}]
        return {
            "vm_name": d.get("targetVmName"),
            "vm_size": d.get("targetVmSize"),
            "network_id": d.get("targetNetworkId"),
            "resource_group_id": d.get("targetResourceGroupId"),
            "log_storage_account_id": disks[0].get("logStorageAccountId"),
            "availability_set_id": d.get("targetAvailabilitySetId"),
            "license_type": d.get("licenseType"),
            "test_network_id": d.get("testNetworkId"),
            "vm_id": None,
            "availability_zone": d.get("targetAvailabilityZone"),
            "sql_license_type": d.get("sqlServerLicenseType"),
            "linux_license_type": d.get("linuxLicenseType"),
            "tags": {t.get("tagName"): t.get("tagValue") for t in d.get("targetVmTags") or [] if t.get("tagName")},
        }

    @staticmethod
    def replication_of(item):
        d = ((item or {}).get("properties") or {}).get("providerSpecificDetails") or {}
        agent = d.get("mobilityAgentDetails") or {}
        progress = d.get("initialReplicationProgressPercentage")
        disks = d.get("protectedDisks") or []
        if progress is None and disks and all(str(x.get("isInitialReplicationComplete")).lower() == "true" for x in disks):
            progress = 100  # real items drop the percentage once every disk finished its initial copy
        return {
            "progress_percent": progress,
            "protection_stage": d.get("resyncState"),
            "rpo_seconds": d.get("lastRpoInSeconds"),
            "last_rpo_calculated": d.get("lastRpoCalculatedTime"),
            "last_heartbeat": agent.get("lastHeartbeatUtc"),
            "agent_version": agent.get("version"),
            "ip_address": d.get("primaryNicIpAddress"),
            "os_type": d.get("osType"),
            "process_server_id": d.get("processServerId"),
            "last_recovery_point": d.get("lastRecoveryPointReceived"),
            "initial_replication_processed_bytes": d.get("initialReplicationProcessedBytes"),
            "initial_replication_transferred_bytes": d.get("initialReplicationTransferredBytes"),
        }


PROVIDERS = {"classic": Classic(), "modernized": Modernized()}


def other_provider_settings(params, provider_only):
    """Why the task cannot run when it sets options of the provider it does not use (``provider_only``: for each
    provider, the options it refuses), or None. Checked before any request: an ignored option hides a mistake."""
    name = params["provider"]
    wrong = [k for k in provider_only[name] if params.get(k)]
    if not wrong:
        return None
    return "%s %s only for the %s provider; this task uses provider %s (%s)." % (
        ", ".join(wrong), "is a setting" if len(wrong) == 1 else "are settings",
        "classic" if name == "modernized" else "modernized", name,
        "InMageRcm, a replication appliance" if name == "modernized" else "InMageAzureV2, a configuration server")


def provider(name):
    try:
        return PROVIDERS[name]
    except KeyError:
        raise InputError("Unknown provider %r; this version supports: %s." % (name, ", ".join(sorted(PROVIDERS))))
