"""Write the Ansible variables that point the collection at a running simulator.

The simulator is reached exactly as a user reaches Azure Stack or a sovereign cloud: a custom
cloud given by its ARM metadata URL, plus the CA bundle that signed its certificate.
Usage: python tests/demo/connections.py STATE_DIR > connections.yml
"""

import json
import os
import sys


def connections(endpoints, source="gov", target="public"):
    out = []
    for name, key in (("source", source), ("target", target)):
        cloud = endpoints["clouds"][key]
        out.append(
            {
                "name": name,
                "cloud": cloud["metadata_url"],
                "ca_bundle": endpoints["ca_bundle"],
                "auth_source": "client_secret",
                "tenant_id": cloud["tenant_id"],
                "client_id": cloud["client_id"],
                "client_secret": cloud["client_secret"],
                "subscription_id": cloud["subscription_id"],
            }
        )
    return out


def variables(endpoints):
    return {
        "azmove_connections": connections(endpoints),
        "azmove_source_location": endpoints["clouds"]["gov"]["default_location"],
        "azmove_target_location": endpoints["clouds"]["public"]["default_location"],
    }


def load(state_dir):
    with open(os.path.join(state_dir, "endpoints.json"), encoding="utf-8") as handle:
        return json.load(handle)


if __name__ == "__main__":
    json.dump(variables(load(sys.argv[1])), sys.stdout, indent=2)
    sys.stdout.write("\n")
