"""Beside azure.azcollection: the module_defaults a user keeps for its modules (its option names, under
group/azure.azcollection.azure) serve ours through a YAML anchor, against the simulator's public cloud as a custom
cloud (metadata URL in cloud_environment, the CA in REQUESTS_CA_BUNDLE, as azure.azcollection takes them).

One Python environment for both collections, with a play using both, is tested in
tests/build/test_beside_azcollection.py."""

import json
import subprocess

from conftest import assert_ok

PLAY = """---
- name: azure.azcollection's module_defaults, reused for azmove.site_recovery
  hosts: localhost
  gather_facts: false
  vars:
    # The block a user keeps under module_defaults group/azure.azcollection.azure (not named as that group here:
    # ansible-playbook refuses a group of a collection that is not installed).
    azcollection_defaults: &azure_auth
      cloud_environment: "{{ cloud.metadata_url }}"
      subscription_id: "{{ cloud.subscription_id }}"
      client_id: "{{ cloud.client_id }}"
      secret: "{{ cloud.client_secret }}"
      tenant: "{{ cloud.tenant_id }}"
      auth_source: auto
      cert_validation_mode: validate
      api_profile: latest
  module_defaults:
    group/azmove.site_recovery.azure:
      <<: *azure_auth
      ca_bundle: "{{ ca_bundle }}"
  tasks:
    - name: A vault read with azure.azcollection's option names
      azmove.site_recovery.recovery_vault_info:
        resource_group: rg-coexistence
      register: found

    - name: Write what was found
      ansible.builtin.copy:
        content: "{{ found | to_json }}"
        dest: "{{ out }}"
        mode: "0600"
"""


def test_azcollection_module_defaults_serve_our_modules(runner, admin, simulator, tmp_path):
    cloud = simulator["clouds"]["public"]
    admin.seed({"public": {"resource_groups": [{"name": "rg-coexistence", "location": cloud["default_location"]}]}})
    play = tmp_path / "coexistence.yml"
    play.write_text(PLAY)
    out = tmp_path / "found.json"
    cmd, env = runner.command("vault_one_task.yml", {"cloud": cloud, "ca_bundle": simulator["ca_bundle"], "out": str(out)})
    cmd[cmd.index(next(c for c in cmd if c.endswith("vault_one_task.yml")))] = str(play)
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300, check=False)
    done.output = done.stdout + done.stderr
    assert_ok(done)
    found = json.loads(out.read_text())
    assert found["vaults"] == [] and not found.get("failed")
    assert cloud["client_secret"] not in done.output
