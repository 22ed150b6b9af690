#!/usr/bin/env bash
# make demo: start the simulator and move the sample fleet from Azure Government to Azure public with the
# collection's own playbooks, wave by wave, as docs/waves.md describes; then stop it and say where the report is.
set -euo pipefail
state="$1"
factor="$2"
root="$(cd "$(dirname "$0")/../.." && pwd)"
py="$root/.venv/bin/python"
export PYTHONPATH="$root/tests/simulator"
mkdir -p "$state"
# The sample fleet is seeded into a fresh state only: a state that holds a move (or part of one) keeps it, so a second
# run finds the sources the first one deleted gone, and the moves it recorded, as a real estate would.
seed=(--seed "$root/tests/simulator/seed/demo.json")
[ -f "$state/azsim.sqlite" ] && seed=()
echo "== Starting the Azure simulator (Government + public clouds) in $state, time factor $factor${seed[*]:+, sample fleet seeded}"
# (start prints endpoints.json, secrets included: keep it in the state dir, off the screen)
"$py" -m azsim start --state-dir "$state" --time-factor "$factor" "${seed[@]}" >/dev/null
appliance_pid=""
cleanup() {
    [ -n "$appliance_pid" ] && kill "$appliance_pid" 2>/dev/null || true
    "$py" -m azsim stop --state-dir "$state" >/dev/null 2>&1 || true
}
trap cleanup EXIT
umask 077
# Once decommission has deleted the source VMs the inventory lists none: ansible-playbook then warns that the hosts
# list is empty before cleanup (which runs on localhost) and before every phase of a second run. Expected, so quiet.
export ANSIBLE_LOCALHOST_WARNING=false
# The inventory (azure_vms plugin on the Government subscription) and the move's variables, secrets included:
# files of mode 0600 in the state dir. Kept from an earlier run, so a second run finds the same move.
[ -f "$state/move.yml" ] || "$py" "$root/tests/demo/fleet.py" files "$state"
inventory="$state/source.azure_vms.yml"
playbook() {
    local phase="$1"; shift
    echo
    echo "== ansible-playbook azmove.site_recovery.$phase $*"
    "$root/.venv/bin/ansible-playbook" "azmove.site_recovery.$phase" -i "$inventory" -e @"$state/move.yml" "$@"
}
# The replication appliance is set up by hand on a Windows host in the source network (its configuration manager):
# the simulator plays those steps as soon as prepare has created the vault.
# A finished move has nothing left for it to do (the vault it registers with is gone after the cleanup).
if [ ! -f "$state/demo-finished" ]; then
    "$py" "$root/tests/demo/fleet.py" appliance "$state" &
    appliance_pid=$!
fi
playbook prepare
if [ -n "$appliance_pid" ]; then wait "$appliance_pid"; appliance_pid=""; fi
for wave in wave_1 wave_2; do
    playbook replicate -l "$wave"
    playbook test -l "$wave"
    playbook cutover -l "$wave"
done
# Deleting the sources needs its explicit confirmation, and, run on both waves at once, move_all_waves_confirm (a
# destructive phase otherwise needs -l wave_N); backup protection moves to the new vault first. Like every phase, it
# ends by writing the report (the sources are gone after it: the inventory is empty on a second run).
playbook decommission -e move_decommission_confirm=true -e move_all_waves_confirm=true
# Last, what the move itself created in the target: the test network, the policy, the cache storage account, the
# appliance's registration and the vault (the backup vault and the moved VMs with their network stay).
playbook cleanup -e move_cleanup_confirm=true -e move_cleanup_remove_registration=true -e move_cleanup_delete_vault=true
touch "$state/demo-finished"
report="$state/reports/move.html"
cat <<MSG

== Demo finished: the fleet moved from Azure Government (usgovvirginia) to Azure public (eastus), in two waves;
   the sources are deleted, their backup is protected in rsv-backup-eastus, and what only the move needed is gone.
   Report:            $report   (open it in a browser: every machine, where it went, its downtime and
                      data-loss window, timelines; a page per wave beside it; the data in move.json)
   Inventory, vars:   $state/source.azure_vms.yml, $state/move.yml
   Simulator state:   $state/azsim.sqlite (run 'make demo' again: nothing is created or moved twice), azsim.log
MSG
