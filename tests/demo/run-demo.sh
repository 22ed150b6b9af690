#!/usr/bin/env bash
# make demo: start the simulator, run the demo playbook against it, stop it, say where the state is.
set -euo pipefail
state="$1"
factor="$2"
root="$(cd "$(dirname "$0")/../.." && pwd)"
py="$root/.venv/bin/python"
export PYTHONPATH="$root/tests/simulator"
mkdir -p "$state"
echo "== Starting the Azure simulator (Government + public clouds) in $state, time factor $factor"
# (start prints endpoints.json, secrets included: keep it in the state dir, off the screen)
"$py" -m azsim start --state-dir "$state" --time-factor "$factor" --seed "$root/tests/simulator/seed/demo.json" >/dev/null
trap '"$py" -m azsim stop --state-dir "$state" >/dev/null 2>&1 || true' EXIT
umask 077
"$py" "$root/tests/demo/connections.py" "$state" > "$state/connections.yml"
"$root/.venv/bin/ansible-playbook" -i localhost, -c local "$root/tests/demo/demo.yml" -e @"$state/connections.yml" \
    -e demo_state_dir="$state"
cat <<MSG

== Demo finished. The simulator's state is kept in $state:
   endpoints.json   the two clouds' metadata URLs, tenants, subscriptions and the CA bundle
   azsim.sqlite     every resource and operation (run 'make demo' again: nothing is created twice)
   azsim.log        the simulator's log
MSG
