"""Strict request bodies: every PUT/PATCH/POST body sent to a vault or Site Recovery write route is checked against
the SDK's own model for that operation before the handler runs (so before any side effect).

The model comes from the SDK operation's body parameter (`ROUTE_OPERATIONS` names the operation of each route;
azure-mgmt-recoveryservicessiterecovery 2.0.0 and azure-mgmt-recoveryservices 4.3.0, the versions the collection
is tested with). The generated (TypeSpec "hybrid") models carry what is checked:

- required fields: a writable field whose type is not Optional[...] (a JSON null counts as missing);
- JSON types: str, int (not bool), float (int accepted), bool, list, dict; dates and bytes are strings; enums take
  their string values, case-insensitively when the SDK enum is (CaseInsensitiveEnumMeta, all of them today);
- polymorphism: a model with a discriminator mapping (`instanceType`) is replaced by the subclass the value names;
  an unknown value is refused, and inside such a provider-specific input (and the models under it) an unknown
  property is refused too. Elsewhere unknown properties are ignored, as Azure does.

Read-only fields are not checked. This is stricter than Azure on purpose: Azure ignores some of these (for example
a misspelt property), the collection must not rely on that. Problems answer 400 InvalidParameter, ARM's shape:
{"error": {"code": "InvalidParameter", "message": "<path>: <problem>", "target": "<path>", "details": []}}.
"""
import datetime
import enum
import importlib
import json
import re
import typing

# Routes are named by method and path below the vault (placeholders written {}), case-insensitive.
FABRIC = "/replicationFabrics/{}"
CONTAINER = FABRIC + "/replicationProtectionContainers/{}"
MAPPING = CONTAINER + "/replicationProtectionContainerMappings/{}"
ITEM = CONTAINER + "/replicationProtectedItems/{}"

# (method, path below the vault) -> (SDK package, operations class, method): the body model is that method's body
# parameter type. A string instead is the reason the route has no body model.
ROUTE_OPERATIONS = {
    ("PUT", ""): ("recoveryservices", "VaultsOperations", "begin_create_or_update"),
    ("PATCH", ""): ("recoveryservices", "VaultsOperations", "begin_update"),
    ("PUT", "/certificates/{}"): ("recoveryservices", "VaultCertificatesOperations", "create"),
    ("PUT", "/extendedInformation/vaultExtendedInfo"):
        ("recoveryservices", "VaultExtendedInfoOperations", "create_or_update"),
    ("PATCH", "/extendedInformation/vaultExtendedInfo"): ("recoveryservices", "VaultExtendedInfoOperations", "update"),
    ("PUT", "/replicationPolicies/{}"): ("recoveryservicessiterecovery", "ReplicationPoliciesOperations",
                                         "begin_create"),
    ("PATCH", "/replicationPolicies/{}"): ("recoveryservicessiterecovery", "ReplicationPoliciesOperations",
                                           "begin_update"),
    ("POST", CONTAINER + "/discoverProtectableItem"): ("recoveryservicessiterecovery",
                                                       "ReplicationProtectionContainersOperations",
                                                       "begin_discover_protectable_item"),
    ("PUT", MAPPING): ("recoveryservicessiterecovery", "ReplicationProtectionContainerMappingsOperations",
                       "begin_create"),
    ("PATCH", MAPPING): ("recoveryservicessiterecovery", "ReplicationProtectionContainerMappingsOperations",
                         "begin_update"),
    ("POST", MAPPING + "/remove"): ("recoveryservicessiterecovery", "ReplicationProtectionContainerMappingsOperations",
                                    "begin_delete"),
    ("PUT", ITEM): ("recoveryservicessiterecovery", "ReplicationProtectedItemsOperations", "begin_create"),
    ("PATCH", ITEM): ("recoveryservicessiterecovery", "ReplicationProtectedItemsOperations", "begin_update"),
    ("POST", ITEM + "/remove"): ("recoveryservicessiterecovery", "ReplicationProtectedItemsOperations", "begin_delete"),
    ("POST", ITEM + "/testFailover"): ("recoveryservicessiterecovery", "ReplicationProtectedItemsOperations",
                                       "begin_test_failover"),
    ("POST", ITEM + "/testFailoverCleanup"): ("recoveryservicessiterecovery", "ReplicationProtectedItemsOperations",
                                              "begin_test_failover_cleanup"),
    ("POST", ITEM + "/unplannedFailover"): ("recoveryservicessiterecovery", "ReplicationProtectedItemsOperations",
                                            "begin_unplanned_failover"),
    # Actions without a request body in the SDK (nothing to check).
    ("POST", FABRIC + "/replicationRecoveryServicesProviders/{}/refreshProvider"):
        "no body: ReplicationRecoveryServicesProvidersOperations.begin_refresh_provider",
    ("POST", FABRIC + "/checkConsistency"): "no body: ReplicationFabricsOperations.begin_check_consistency",
    ("POST", FABRIC + "/remove"): "no body: ReplicationFabricsOperations.begin_remove",
    ("POST", ITEM + "/failoverCommit"): "no body: ReplicationProtectedItemsOperations.begin_failover_commit",
}


def _key(method, below_vault):
    return method.upper(), re.sub(r"\{[^}]*\}", "{}", below_vault).lower()


_TABLE = {_key(m, p): v for (m, p), v in ROUTE_OPERATIONS.items()}
_VAULT = "/providers/microsoft.recoveryservices/vaults/{}"


def route_key(method, template):
    """(method, path below the vault) of a route template, or None when the route is not a vault / Site Recovery
    route (Azure Backup's vault routes use another SDK and are not covered)."""
    norm = re.sub(r"\{[^}]*\}", "{}", template).lower()
    i = norm.find(_VAULT)
    if i < 0:
        return None
    below = norm[i + len(_VAULT):]
    if below and not below.startswith(("/replication", "/certificates", "/extendedinformation")):
        return None
    return method.upper(), below


class Problem(Exception):
    def __init__(self, path, problem, value=None):
        super().__init__(problem)
        self.path, self.problem = path or "(body)", problem
        self.value = value

    @property
    def sent(self):
        """What was sent at the path (for the log), shortened."""
        text = json.dumps(self.value)
        return text if len(text) <= 300 else text[:300] + "..."


_MODEL_CACHE = {}


def model_for(method, template):
    """The SDK model class of a route's body (None: no body, or not covered). Raises KeyError for a vault / Site
    Recovery write route that the table does not know (tests/test_strict.py keeps the table complete)."""
    key = route_key(method, template)
    if key is None:
        return None
    if key not in _MODEL_CACHE:
        entry = _TABLE[_key(*key)]
        _MODEL_CACHE[key] = None if isinstance(entry, str) else _operation_model(*entry)
    return _MODEL_CACHE[key]


def _operation_model(package, ops_class, method):
    ops = importlib.import_module(f"azure.mgmt.{package}.operations")
    fn = getattr(getattr(ops, ops_class), method)
    for ann in fn.__annotations__.values():
        for arg in typing.get_args(ann):
            if _is_model(arg):
                return arg
    raise LookupError(f"{ops_class}.{method} has no model body parameter")


def _is_model(tp):
    return isinstance(tp, type) and any(k.__name__ == "Model" and "model_base" in k.__module__ for k in tp.__mro__)


# -- introspection (once per class) ------------------------------------------------------------------------------
_FIELDS = {}


def fields(cls):
    """{rest name: (type, required, writable)} of a model class, from its rest fields and type hints."""
    got = _FIELDS.get(cls)
    if got is None:
        mod = importlib.import_module(cls.__module__)
        ns = dict(vars(mod))
        ns["_models"] = importlib.import_module(cls.__module__.rsplit(".", 1)[0])
        hints = typing.get_type_hints(cls, globalns=ns)
        got = {}
        for klass in reversed(cls.__mro__):
            for attr, rf in vars(klass).items():
                if attr.startswith("_") or not hasattr(rf, "_rest_name_input") or not hasattr(rf, "_visibility"):
                    continue
                tp = hints.get(attr, typing.Any)
                writable = rf._visibility is None or bool({"create", "update"} & set(rf._visibility))
                optional = type(None) in typing.get_args(tp)
                got[rf._rest_name_input or attr] = (tp, not optional and writable, writable)
        _FIELDS[cls] = got
    return got


def _discriminator(cls):
    """(rest name, {value: class}) when cls is polymorphic (chosen by a discriminator), else None. The base's own
    name is a value too: the REST spec's default discriminator value, used by the examples (for instance
    "ReplicationProviderSpecificContainerMappingInput" in ReplicationProtectionContainerMappings_Create.json)."""
    if cls not in _DISC:
        _DISC[cls] = None
        for klass in cls.__mro__:
            if "__mapping__" in vars(klass):
                for rf in vars(klass).values():
                    if getattr(rf, "_is_discriminator", False):
                        _DISC[cls] = rf._rest_name_input, dict(klass.__mapping__, **{klass.__name__: klass})
                break
    return _DISC[cls]


_DISC = {}


def _join(path, name):
    return f"{path}.{name}" if path else name


# -- the walk ----------------------------------------------------------------------------------------------------
# JSON type a Python type is sent as, and its name in messages.
_EXPECT = {str: (str, "a string"), bool: (bool, "a boolean"), int: (int, "an integer"),
           float: ((int, float), "a number"), dict: (dict, "an object"), list: (list, "an array"),
           datetime.datetime: (str, "a string (date-time)"), datetime.date: (str, "a string (date)"),
           datetime.time: (str, "a string (time)"), datetime.timedelta: (str, "a string (duration)"),
           bytes: (str, "a string (base64)"), bytearray: (str, "a string (base64)")}


def _jtype(value):
    for t, name in ((bool, "a boolean"), (int, "an integer"), (float, "a number"), (str, "a string"),
                    (list, "an array"), (dict, "an object")):
        if isinstance(value, t):
            return name
    return "null" if value is None else type(value).__name__


def check_model(cls, data, path="", strict_unknown=False):
    if not isinstance(data, dict):
        raise Problem(path, f"expected an object ({cls.__name__}), got {_jtype(data)}", data)
    disc = _discriminator(cls)
    if disc is not None:
        name, mapping = disc
        value = data.get(name)
        if value is None:
            raise Problem(_join(path, name), f"the required property is missing ({cls.__name__}.{name})", data)
        sub = mapping.get(value) if isinstance(value, str) else None
        if sub is None or not issubclass(sub, cls):
            known = sorted(k for k, v in mapping.items() if issubclass(v, cls))
            raise Problem(_join(path, name), f"'{value}' is not a known {name} of {cls.__name__} "
                                             f"(known: {', '.join(known)})", value)
        cls, strict_unknown = sub, True
    spec = fields(cls)
    for name, (tp, required, _writable) in spec.items():
        if required and data.get(name) is None:
            raise Problem(_join(path, name), f"the required property is missing ({cls.__name__}.{name})", data)
    for name, value in data.items():
        entry = spec.get(name)
        if entry is None:
            if strict_unknown:
                raise Problem(_join(path, name), f"unknown property of {cls.__name__}", value)
            continue
        tp, _required, writable = entry
        if writable and not (disc is not None and name == disc[0]):
            check_value(tp, value, _join(path, name), strict_unknown)


def check_value(tp, value, path, strict_unknown=False):
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if tp is typing.Any:
        return
    if origin is typing.Union:
        if value is None and type(None) in args:
            return
        choices = [a for a in args if a is not type(None)]
        enums = [a for a in choices if isinstance(a, type) and issubclass(a, enum.Enum)]
        if enums and str in choices:  # an extensible enum: the SDK's values only (strict)
            return _check_enum(enums[0], value, path)
        errors = []
        for a in choices:
            try:
                return check_value(a, value, path, strict_unknown)
            except Problem as err:
                errors.append(err)
        raise errors[0]
    if origin is typing.Literal:
        if value not in args:
            raise Problem(path, f"expected one of {', '.join(map(repr, args))}, got {value!r}", value)
        return
    if origin in (list, typing.List):
        if not isinstance(value, list):
            raise Problem(path, f"expected an array, got {_jtype(value)}", value)
        for i, item in enumerate(value):
            check_value(args[0] if args else typing.Any, item, f"{path}[{i}]", strict_unknown)
        return
    if origin in (dict, typing.Dict):
        if not isinstance(value, dict):
            raise Problem(path, f"expected an object, got {_jtype(value)}", value)
        for k, item in value.items():
            check_value(args[1] if len(args) > 1 else typing.Any, item, f"{path}.{k}", strict_unknown)
        return
    if _is_model(tp):
        return check_model(tp, value, path, strict_unknown)
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return _check_enum(tp, value, path)
    if value is None:  # null for a field that is not Optional
        raise Problem(path, "must not be null")
    if tp not in _EXPECT:
        return  # a type the JSON walk does not know: accept
    want, name = _EXPECT[tp]
    if isinstance(value, bool) and tp is not bool or not isinstance(value, want):
        raise Problem(path, f"expected {name}, got {_jtype(value)}", value)


def _check_enum(enum_cls, value, path):
    if not isinstance(value, str):
        raise Problem(path, f"expected a string ({enum_cls.__name__}), got {_jtype(value)}", value)
    values = [e.value for e in enum_cls]
    insensitive = type(enum_cls).__name__ == "CaseInsensitiveEnumMeta"
    if value in values or insensitive and value.lower() in {v.lower() for v in values}:
        return
    raise Problem(path, f"'{value}' is not a valid {enum_cls.__name__} (one of: {', '.join(values)})", value)


# -- the hook (arm.ArmApp._handle) ---------------------------------------------------------------------------------
def problem(method, template, req):
    """The first way the request's body does not fit the SDK model of the route's operation (a Problem), or None."""
    if method not in ("PUT", "PATCH", "POST"):
        return None
    model = model_for(method, template)
    if model is None:
        return None
    try:
        body = req.json()
    except ValueError:
        return None  # not JSON at all: the handler answers that
    try:
        check_model(model, {} if body is None else body)
    except Problem as err:
        return err
    return None
