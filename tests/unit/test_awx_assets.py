"""docs/awx: the AWX assets (`awx import` files) hold together. Their shape is checked against a schema written from
AWX's API models (credential type inputs and injectors, job template and workflow node fields, the natural keys of
`awx export`); then what they refer to: the project's playbooks are the collection's, the variables they set are the
playbooks' own, the workflow's nodes name templates of the file, and the credential types inject only what the
collection reads."""

import configparser
import json
import re
from pathlib import Path

import jinja2
import jinja2.meta
import jsonschema
import pytest
import yaml

from ansible_collections.azmove.site_recovery.plugins.module_utils import _auth

ROOT = Path(__file__).resolve().parents[2]
AWX = ROOT / "docs" / "awx"
CREDENTIAL_TYPES = json.loads((AWX / "credential_types.json").read_text())
TEMPLATES = json.loads((AWX / "move_templates.json").read_text())
PROJECT = AWX / "project"

# AWX refuses these as env injectors (awx/main/constants.py ENV_BLOCKLIST, and every ANSIBLE_* name).
AWX_ENV_BLOCKLIST = {"VIRTUAL_ENV", "PATH", "PYTHONPATH", "JOB_ID", "INVENTORY_ID", "INVENTORY_SOURCE_ID", "INVENTORY_UPDATE_ID",
                     "AD_HOC_COMMAND_ID", "REST_API_URL", "REST_API_TOKEN", "MAX_EVENT_RES", "CALLBACK_QUEUE",
                     "CALLBACK_CONNECTION", "CACHE", "JOB_CALLBACK_DEBUG", "INVENTORY_HOSTVARS", "AWX_HOST", "PROJECT_REVISION",
                     "SUPERVISOR_CONFIG_PATH"}
IDENT = "^[a-zA-Z_][a-zA-Z0-9_]*$"


def natural_key(kind, *keys):
    return {"type": "object", "required": ["type"] + list(keys), "properties": {"type": {"const": kind}}}


ORG_KEY = natural_key("organization", "name")
NAMED = {"type": "string", "minLength": 1, "maxLength": 512}
TEXT = {"type": "string"}
FLAG = {"type": "boolean"}
NODE_REF = natural_key("workflow_job_template_node", "workflow_job_template", "identifier")

# From AWX's API models (POST fields of /api/v2/<resource>/, as `awx export` writes them, with their natural keys).
SCHEMA = {
    "$defs": {
        "credential_type": {
            "type": "object", "additionalProperties": False,
            "required": ["name", "kind", "inputs", "injectors", "natural_key"],
            "properties": {
                "name": NAMED, "description": TEXT,
                "kind": {"enum": ["cloud", "net"]},  # the kinds AWX lets a user create
                "inputs": {"type": "object", "additionalProperties": False, "required": ["fields"], "properties": {
                    "fields": {"type": "array", "minItems": 1, "items": {
                        "type": "object", "additionalProperties": False, "required": ["id", "label", "type"],
                        "properties": {"id": {"type": "string", "pattern": IDENT}, "label": NAMED, "type": {"enum": ["string", "boolean"]},
                                       "secret": FLAG, "multiline": FLAG, "help_text": TEXT, "default": {"type": ["string", "boolean"]},
                                       "choices": {"type": "array", "items": TEXT}, "format": {"enum": ["ssh_private_key", "url"]}}}},
                    "required": {"type": "array", "items": {"type": "string"}}}},
                "injectors": {"type": "object", "additionalProperties": False, "minProperties": 1, "properties": {
                    "file": {"type": "object", "patternProperties": {r"^template(\.[a-zA-Z_][a-zA-Z0-9_]*)?$": TEXT},
                             "additionalProperties": False},
                    "env": {"type": "object", "patternProperties": {"^[A-Z_][A-Z0-9_]*$": TEXT}, "additionalProperties": False},
                    "extra_vars": {"type": "object", "patternProperties": {IDENT: TEXT}, "additionalProperties": False}}},
                "natural_key": natural_key("credential_type", "name", "kind"),
            },
        },
        "job_template": {
            "type": "object", "required": ["name", "job_type", "project", "playbook", "natural_key"],
            "properties": {
                "name": NAMED, "job_type": {"enum": ["run", "check"]}, "playbook": {"type": "string", "pattern": r"\.ya?ml$"},
                "project": natural_key("project", "organization", "name"), "inventory": natural_key("inventory", "organization", "name"),
                "execution_environment": natural_key("execution_environment", "name"), "extra_vars": TEXT, "limit": TEXT,
                "timeout": {"type": "integer", "minimum": 0}, "job_slice_count": {"type": "integer", "minimum": 1},
                "forks": {"type": "integer", "minimum": 0}, "verbosity": {"enum": [0, 1, 2, 3, 4, 5]},
                "survey_enabled": FLAG, "ask_limit_on_launch": FLAG, "ask_variables_on_launch": FLAG,
                "related": {"type": "object", "properties": {"survey_spec": {"type": "object", "required": ["spec"], "properties": {
                    "spec": {"type": "array", "items": {"type": "object", "required": ["question_name", "variable", "type", "required"],
                                                        "properties": {"variable": {"type": "string", "pattern": IDENT},
                                                                       "type": {"enum": ["text", "textarea", "password", "integer", "float",
                                                                                         "multiplechoice", "multiselect"]}}}}}}}},
                "natural_key": natural_key("job_template", "organization", "name"),
            },
        },
        "workflow_node": {
            "type": "object", "required": ["identifier", "natural_key", "related"],
            "properties": {
                "identifier": NAMED, "extra_data": {"type": "object"}, "all_parents_must_converge": FLAG,
                "unified_job_template": natural_key("job_template", "organization", "name"),
                "related": {"type": "object", "properties": {
                    "success_nodes": {"type": "array", "items": NODE_REF}, "failure_nodes": {"type": "array", "items": NODE_REF},
                    "always_nodes": {"type": "array", "items": NODE_REF},
                    "create_approval_template": {"type": "object", "required": ["name"], "properties": {
                        "name": NAMED, "description": TEXT, "timeout": {"type": "integer", "minimum": 0}}}}},
                "natural_key": NODE_REF,
            },
            # A node runs a template or is an approval, never both.
            "oneOf": [{"required": ["unified_job_template"]},
                      {"properties": {"related": {"required": ["create_approval_template"]}}}],
        },
        "workflow_job_template": {
            "type": "object", "required": ["name", "organization", "natural_key", "related"],
            "properties": {"name": NAMED, "organization": ORG_KEY, "extra_vars": TEXT, "ask_limit_on_launch": FLAG,
                           "inventory": natural_key("inventory", "organization", "name"),
                           "related": {"type": "object", "required": ["workflow_nodes"], "properties": {
                               "workflow_nodes": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/workflow_node"}}}},
                           "natural_key": natural_key("workflow_job_template", "organization", "name")},
        },
    },
    "type": "object", "additionalProperties": False,
    "properties": {
        "credential_types": {"type": "array", "items": {"$ref": "#/$defs/credential_type"}},
        "execution_environments": {"type": "array", "items": {"type": "object", "required": ["name", "image", "natural_key"]}},
        "projects": {"type": "array", "items": {"type": "object", "required": ["name", "organization", "scm_type", "natural_key"],
                                                "properties": {"scm_type": {"enum": ["", "git", "svn", "insights", "archive"]}}}},
        "inventory": {"type": "array", "items": {"type": "object", "required": ["name", "organization", "natural_key"]}},
        "inventory_sources": {"type": "array", "items": {"type": "object", "required": ["name", "source", "inventory", "natural_key"],
                                                         "properties": {"source": {"const": "scm"}}}},
        "job_templates": {"type": "array", "items": {"$ref": "#/$defs/job_template"}},
        "workflow_job_templates": {"type": "array", "items": {"$ref": "#/$defs/workflow_job_template"}},
    },
}


def by_key(assets):
    return {json.dumps(a["natural_key"], sort_keys=True): a for a in assets}


def documented_variables():
    """The move_* variables the playbooks read (move_validate's list, which it warns about names outside of) that the
    docs also describe."""
    spec = yaml.safe_load((ROOT / "roles" / "move_validate" / "vars" / "main.yml").read_text())["__move_validate_spec"]
    docs = "".join(p.read_text() for p in (ROOT / "docs").glob("*.md"))
    return {name for name in spec if "`%s`" % name in docs or "%s=" % name in docs}


@pytest.mark.parametrize("data", [CREDENTIAL_TYPES, TEMPLATES], ids=["credential_types.json", "move_templates.json"])
def test_the_files_are_awx_exports(data):
    jsonschema.validate(data, SCHEMA)
    for assets in data.values():  # natural keys are unique per resource, or the import updates one asset twice
        assert len(by_key(assets)) == len(assets)


@pytest.mark.parametrize("ctype", CREDENTIAL_TYPES["credential_types"], ids=lambda t: t["name"])
def test_credential_type_injectors_use_its_inputs_and_inject_what_the_collection_reads(ctype):
    ids = [f["id"] for f in ctype["inputs"]["fields"]]
    assert len(set(ids)) == len(ids) and set(ctype["inputs"].get("required", [])) <= set(ids)
    files = {key.split(".", 1)[1] for key in ctype["injectors"].get("file", {}) if "." in key}
    env = jinja2.Environment()
    for kind, templates in ctype["injectors"].items():
        for name, template in templates.items():
            used = jinja2.meta.find_undeclared_variables(env.parse(template))
            assert used <= set(ids) | {"tower", "awx"}, (name, used)
            for ref in re.findall(r"(?:tower|awx)\.filename(?:\.(\w+))?", template):
                assert ref in files, (name, ref)
    # The env names: ones the collection reads (azure-identity's and azure.azcollection's), none AWX refuses.
    read = {name for names in _auth.ENV_VARS.values() for name in names}
    for name in ctype["injectors"].get("env", {}):
        assert name in read, name
        assert name not in AWX_ENV_BLOCKLIST and not name.startswith("ANSIBLE_"), name
    # Secrets never go to the environment: ansible-runner writes the job's environment to artifacts/<ident>/command.
    secret = {f["id"] for f in ctype["inputs"]["fields"] if f.get("secret")}
    for template in ctype["injectors"].get("env", {}).values():
        assert not jinja2.meta.find_undeclared_variables(env.parse(template)) & secret, template
    # A file is a credentials-file profile with only keys the collection reads.
    for template in ctype["injectors"].get("file", {}).values():
        parser = configparser.ConfigParser(interpolation=None)
        parser.read_string(env.from_string(template).render({i: "x" for i in ids}))
        assert parser.sections() and all(set(parser[s]) <= set(_auth.PROFILE_KEYS) for s in parser.sections())
    # Extra variables are named in the docs, where the move's variables use them.
    docs = (ROOT / "docs" / "awx.md").read_text() + (ROOT / "docs" / "real-azure.md").read_text()
    for name in ctype["injectors"].get("extra_vars", {}):
        assert name in docs, name


def test_the_two_clouds_have_one_credential_type_each_and_a_profile_of_their_own():
    profiles = {}
    for ctype in CREDENTIAL_TYPES["credential_types"]:
        for template in ctype["injectors"].get("file", {}).values():
            profiles[ctype["name"]] = re.findall(r"^\[(\w+)\]", template, re.M)
    assert sorted(p for names in profiles.values() for p in names) == ["source", "target"], profiles


@pytest.mark.parametrize("template", TEMPLATES["job_templates"], ids=lambda t: t["name"])
def test_job_template_playbooks_are_the_collections_and_set_only_the_playbooks_variables(template):
    playbook = yaml.safe_load((PROJECT / template["playbook"]).read_text())
    imported = [play["ansible.builtin.import_playbook"] for play in playbook]
    assert len(imported) == 1 and imported[0].startswith("azmove.site_recovery.")
    assert (ROOT / "playbooks" / (imported[0].rsplit(".", 1)[1] + ".yml")).is_file(), imported
    keys = by_key(TEMPLATES["projects"]), by_key(TEMPLATES["inventory"]), by_key(TEMPLATES["execution_environments"])
    for field, known in zip(("project", "inventory", "execution_environment"), keys):
        assert json.dumps(template[field], sort_keys=True) in known, (field, template[field])
    documented = documented_variables()
    extra = yaml.safe_load(template.get("extra_vars") or "{}") or {}
    survey = [q["variable"] for q in template.get("related", {}).get("survey_spec", {}).get("spec", [])]
    assert set(extra) | set(survey) <= documented, set(extra) | set(survey)
    assert not template["survey_enabled"] or survey


def test_the_workflow_runs_the_files_templates_in_order():
    templates = by_key(TEMPLATES["job_templates"])
    for workflow in TEMPLATES["workflow_job_templates"]:
        nodes = workflow["related"]["workflow_nodes"]
        ids = [n["identifier"] for n in nodes]
        assert len(set(ids)) == len(ids)
        order = []
        for node in nodes:
            assert node["natural_key"] == {"workflow_job_template": workflow["natural_key"], "identifier": node["identifier"],
                                           "type": "workflow_job_template_node"}
            for edge in ("success_nodes", "failure_nodes", "always_nodes"):
                for ref in node["related"].get(edge, []):
                    assert ref["workflow_job_template"] == workflow["natural_key"] and ref["identifier"] in ids, ref
            if "unified_job_template" in node:
                template = templates[json.dumps(node["unified_job_template"], sort_keys=True)]
                order.append(template["playbook"])
                # A node's variables reach the job only through a survey question or a prompt of its template.
                survey = {q["variable"] for q in template.get("related", {}).get("survey_spec", {}).get("spec", [])}
                assert template["ask_variables_on_launch"] or set(node["extra_data"]) <= survey, node["identifier"]
                # The wave given on launch reaches every phase.
                assert template["ask_limit_on_launch"], node["identifier"]
        assert order[:3] == ["playbooks/prepare.yml", "playbooks/replicate.yml", "playbooks/test.yml"], order
        decommission = next(n for n in nodes if n["identifier"] == "decommission")
        assert decommission["extra_data"] == {"move_decommission_confirm": True}
        # Only an approval leads to cutover and to decommission.
        for phase in ("cutover", "decommission"):
            parents = [n for n in nodes if any(r["identifier"] == phase for e in n["related"].values() if isinstance(e, list) for r in e)]
            assert parents and all("create_approval_template" in p["related"] for p in parents), phase


def test_the_inventory_source_is_the_projects_azure_vms_file():
    for source in TEMPLATES["inventory_sources"]:
        path = PROJECT / source["source_path"]
        assert path.name.endswith("azure_vms.yml")
        config = yaml.safe_load(path.read_text())
        assert config["plugin"] == "azmove.site_recovery.azure_vms"
        assert not set(config) & {"client_secret", "secret", "client_id", "tenant_id", "subscription_id", "certificate_password"}


def test_docs_awx_md_links_every_asset():
    text = (ROOT / "docs" / "awx.md").read_text()
    for path in ["awx/credential_types.json", "awx/move_templates.json", "awx/project/"]:
        assert "(%s)" % path in text, path
