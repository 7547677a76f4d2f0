"""Record types: the built-in templates (mSecure's, fields in mSecure's order) and user-defined ones.

A template only describes fields; an item stores values under the field keys. Keys are stable
identifiers written into sealed items, so a built-in key must never be renamed; labels are what
people read and type, and may change.

User-defined types travel as ordinary vault items of type :data:`TEMPLATE_ITEM_TYPE` whose
notes hold nothing and whose JSON is :meth:`Template.to_json`, so they sync like everything else.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Literal, get_args

from .errors import InvalidTemplate, UnknownType

FieldKind = Literal["text", "hidden", "url", "date", "totp", "number", "email", "phone", "multiline"]
FIELD_KINDS: Final[tuple[str, ...]] = get_args(FieldKind)

#: The vault item type under which the client stores user-defined templates.
TEMPLATE_ITEM_TYPE: Final = "__template__"
TEMPLATE_JSON_VERSION: Final = 1

# Hidden fields whose normalised key contains one of these are passwords: the security report
# judges their strength. PINs, card security codes and the like are hidden but short by nature,
# so scoring them with zxcvbn would only produce noise.
_PASSWORD_MARKERS: Final = ("password", "passphrase", "passcode")


def normalize_name(name: str) -> str:
    """The form used to compare names: case-folded, with spaces, dashes, underscores and other
    punctuation dropped, so "One-time password", "one_time_password" and "ONE TIME PASSWORD"
    are the same name."""
    return re.sub(r"[\W_]+", "", name.casefold())


def looks_like_password(name: str) -> bool:
    folded = normalize_name(name)
    return any(marker in folded for marker in _PASSWORD_MARKERS)


@dataclass(frozen=True, slots=True)
class FieldSpec:
    key: str
    label: str
    kind: FieldKind
    #: Other names people type for this field ("expiry", "cvv"); built-in types only, never stored.
    aliases: tuple[str, ...] = field(default=(), compare=False)

    @property
    def is_password(self) -> bool:
        return self.kind == "hidden" and looks_like_password(self.key)

    def matches(self, name: str) -> bool:
        wanted = normalize_name(name)
        return wanted in (normalize_name(self.key), normalize_name(self.label))

    def answers_to(self, name: str) -> bool:
        """Its key, its label or one of its aliases."""
        wanted = normalize_name(name)
        return self.matches(name) or any(normalize_name(alias) == wanted for alias in self.aliases)


@dataclass(frozen=True, slots=True)
class Template:
    key: str
    label: str
    fields: tuple[FieldSpec, ...]
    builtin: bool = False

    def field(self, name: str, *, aliases: bool = True) -> FieldSpec | None:
        """The field whose key, label or (if ``aliases``) alias is ``name``, compared as by
        :func:`normalize_name`. Keys and labels win over aliases; :func:`_t` drops any alias
        that could clash with another field."""
        exact = next((spec for spec in self.fields if spec.matches(name)), None)
        if exact is not None or not aliases:
            return exact
        return next((spec for spec in self.fields if spec.answers_to(name)), None)

    def matches(self, name: str) -> bool:
        wanted = normalize_name(name)
        return wanted in (normalize_name(self.key), normalize_name(self.label))

    def to_json(self) -> dict[str, Any]:
        return {
            "v": TEMPLATE_JSON_VERSION,
            "key": self.key,
            "label": self.label,
            "fields": [{"key": f.key, "label": f.label, "kind": f.kind} for f in self.fields],
        }

    @classmethod
    def from_json(cls, data: object) -> Template:
        """Read a user-defined type; raises :class:`InvalidTemplate` on anything malformed."""
        if not isinstance(data, Mapping):
            raise InvalidTemplate("a record type must be a JSON object")
        if data.get("v") != TEMPLATE_JSON_VERSION:
            raise InvalidTemplate(f"record type version {data.get('v')!r} is not supported")
        key, label, raw_fields = data.get("key"), data.get("label"), data.get("fields")
        if not isinstance(key, str) or not normalize_name(key):
            raise InvalidTemplate("a record type needs a non-empty 'key'")
        if not isinstance(label, str) or not label.strip():
            raise InvalidTemplate("a record type needs a non-empty 'label'")
        if not isinstance(raw_fields, list):
            raise InvalidTemplate("a record type's 'fields' must be a list")
        fields = [_field_from_json(raw, index) for index, raw in enumerate(raw_fields)]
        seen: set[str] = set()
        for spec in fields:
            for name in {normalize_name(spec.key), normalize_name(spec.label)}:
                if name in seen:
                    raise InvalidTemplate(f"two fields of record type {label!r} are both called {name!r}")
                seen.add(name)
        return cls(key=key, label=label, fields=tuple(fields))

    @classmethod
    def custom(cls, label: str, fields: Iterable[tuple[str, FieldKind]]) -> Template:
        """A user-defined type from a label and (field label, kind) pairs; keys are derived."""
        specs = [FieldSpec(_slug(name), name, kind) for name, kind in fields]
        return cls.from_json(
            {
                "v": TEMPLATE_JSON_VERSION,
                "key": _slug(label),
                "label": label,
                "fields": [{"key": s.key, "label": s.label, "kind": s.kind} for s in specs],
            }
        )


def _field_from_json(raw: object, index: int) -> FieldSpec:
    if not isinstance(raw, Mapping):
        raise InvalidTemplate(f"field {index} of a record type must be an object")
    key, label, kind = raw.get("key"), raw.get("label"), raw.get("kind")
    if not isinstance(key, str) or not normalize_name(key):
        raise InvalidTemplate(f"field {index} needs a non-empty 'key'")
    if not isinstance(label, str) or not label.strip():
        raise InvalidTemplate(f"field {index} needs a non-empty 'label'")
    if kind not in FIELD_KINDS:
        raise InvalidTemplate(f"field {label!r} has kind {kind!r}; the kinds are: {', '.join(FIELD_KINDS)}")
    return FieldSpec(key, label, kind)


def _slug(name: str) -> str:
    slug = re.sub(r"[\W_]+", "_", name.casefold()).strip("_")
    if not slug:
        raise InvalidTemplate(f"{name!r} cannot be used as a name: it has no letters or digits")
    return slug


# Names people reach for instead of a built-in field's label, by field key; for one type only
# under "type_key.field_key". An alias that equals another field's key or label in the same type,
# or that two fields of one type would share, is dropped by _t, so lookups stay unambiguous.
_FIELD_ALIASES: Final[Mapping[str, tuple[str, ...]]] = {
    "website": ("url", "site", "web site", "link"),
    "username": ("user", "user name", "login", "user id"),
    "password": ("pass", "pw", "pwd"),
    "one_time_password": ("otp", "totp", "2fa", "otp secret", "totp secret", "authenticator"),
    "card_number": ("number", "card no", "cc number"),
    "expiration_date": ("expiry", "expires", "exp", "expiration", "expiry date", "valid until"),
    "security_code": ("cvv", "cvc", "cvv2", "cvc2", "csc"),
    "name_on_card": ("name", "cardholder", "card holder"),
    "pin": ("pin code",),
    "issuing_bank": ("bank", "issuer"),
    "phone": ("phone number", "telephone", "tel"),
    "billing_address": ("address",),
    "account_number": ("number", "account no", "account"),
    "routing_number": ("routing", "aba", "sort code"),
    "incoming_server": ("incoming", "imap server", "pop server"),
    "outgoing_server": ("outgoing", "smtp server"),
    "incoming_port": ("imap port", "pop port"),
    "outgoing_port": ("smtp port",),
    "mileage": ("miles", "points"),
    "policy_number": ("policy", "number"),
    "group_number": ("group",),
    "member_id": ("number", "member number", "membership number", "id"),
    "access_number": ("number", "access"),
    "code": ("combination",),
    "first_name": ("first", "given name"),
    "last_name": ("last", "surname", "family name"),
    "mobile_phone": ("mobile", "cell", "cell phone"),
    "home_phone": ("home",),
    "work_phone": ("work",),
    "email": ("email address", "e-mail"),
    "birthday": ("dob", "date of birth", "birth date"),
    "date_of_birth": ("dob", "birthday", "birth date"),
    "full_name": ("name",),
    "issuing_region": ("country", "state", "region"),
    "licence_class": ("license class",),
    "licence_key": ("license key", "key", "serial", "serial number", "product key", "licence", "license"),
    "network_name": ("ssid", "network"),
    "security": ("encryption",),
    "server_address": ("ip", "ip address"),
    "hostname": ("host", "server", "address"),
    "admin_url": ("admin console", "console"),
    "admin_username": ("admin user",),
    "admin_password": ("admin pass",),
    "passport.number": ("passport number",),
    "drivers_licence.number": ("licence number", "license number"),
    "social_security_number.number": ("ssn",),
    "frequent_flyer.number": ("member number", "membership number"),
}
# "title" and "notes" name the item's own title and notes, never a field.
_RESERVED_NAMES: Final = frozenset({"title", "notes"})


def _t(key: str, label: str, *fields: tuple[str, str, FieldKind]) -> Template:
    taken = {normalize_name(name) for k, lab, _ in fields for name in (k, lab)} | _RESERVED_NAMES
    wanted: dict[str, dict[str, str]] = {}  # field key -> {normalised alias: alias as written}
    for k, _, _ in fields:
        aliases = _FIELD_ALIASES.get(k, ()) + _FIELD_ALIASES.get(f"{key}.{k}", ())
        wanted[k] = {}
        for alias in aliases:
            wanted[k].setdefault(normalize_name(alias), alias)
    owners: dict[str, int] = {}
    for names in wanted.values():
        for name in names:
            owners[name] = owners.get(name, 0) + 1
    specs = tuple(
        FieldSpec(k, lab, kind, tuple(a for n, a in wanted[k].items() if n not in taken and owners[n] == 1))
        for k, lab, kind in fields
    )
    return Template(key, label, specs, builtin=True)


TEMPLATES: Final[tuple[Template, ...]] = (
    _t(
        "login",
        "Login",
        ("website", "Website", "url"),
        ("username", "Username", "text"),
        ("password", "Password", "hidden"),
        ("one_time_password", "One-Time Password", "totp"),
    ),
    _t(
        "credit_card",
        "Credit Card",
        ("card_number", "Card Number", "hidden"),
        ("expiration_date", "Expiration Date", "date"),
        ("security_code", "Security Code", "hidden"),
        ("name_on_card", "Name on Card", "text"),
        ("pin", "PIN", "hidden"),
        ("issuing_bank", "Issuing Bank", "text"),
        ("phone", "Phone No.", "phone"),
        ("billing_address", "Billing Address", "multiline"),
    ),
    _t(
        "bank_account",
        "Bank Account",
        ("account_number", "Account Number", "text"),
        ("pin", "PIN", "hidden"),
        ("name", "Name", "text"),
        ("branch", "Branch", "text"),
        ("routing_number", "Routing Number", "number"),
        ("account_type", "Account Type", "text"),
        ("phone", "Phone No.", "phone"),
    ),
    _t(
        "email_account",
        "Email Account",
        ("username", "Username", "text"),
        ("password", "Password", "hidden"),
        ("incoming_server", "Incoming Server", "text"),
        ("incoming_port", "Incoming Port", "number"),
        ("outgoing_server", "Outgoing Server", "text"),
        ("outgoing_port", "Outgoing Port", "number"),
    ),
    _t(
        "frequent_flyer",
        "Frequent Flyer",
        ("number", "Number", "text"),
        ("website", "Website", "url"),
        ("username", "Username", "text"),
        ("password", "Password", "hidden"),
        ("mileage", "Mileage", "number"),
        ("status", "Status", "text"),
    ),
    _t(
        "insurance",
        "Insurance",
        ("policy_number", "Policy Number", "text"),
        ("group_number", "Group Number", "text"),
        ("insured", "Insured", "text"),
        ("effective_date", "Effective Date", "date"),
        ("expiration_date", "Expiration Date", "date"),
        ("phone", "Phone No.", "phone"),
        ("website", "Website", "url"),
    ),
    _t(
        "membership",
        "Membership",
        ("member_id", "Member ID", "text"),
        ("name", "Name", "text"),
        ("start_date", "Start Date", "date"),
        ("expiration_date", "Expiration Date", "date"),
        ("phone", "Phone No.", "phone"),
        ("website", "Website", "url"),
        ("password", "Password", "hidden"),
    ),
    _t(
        "calling_card",
        "Calling Card",
        ("access_number", "Access Number", "phone"),
        ("pin", "PIN", "hidden"),
    ),
    _t(
        "combination",
        "Combination",
        ("code", "Code", "hidden"),
    ),
    _t("secure_note", "Secure Note"),
    _t(
        "identity",
        "Identity",
        ("first_name", "First Name", "text"),
        ("middle_name", "Middle Name", "text"),
        ("last_name", "Last Name", "text"),
        ("nickname", "Nickname", "text"),
        ("company", "Company", "text"),
        ("job_title", "Job Title", "text"),
        ("address", "Address", "multiline"),
        ("home_phone", "Home Phone", "phone"),
        ("mobile_phone", "Mobile Phone", "phone"),
        ("work_phone", "Work Phone", "phone"),
        ("email", "Email", "email"),
        ("birthday", "Birthday", "date"),
        ("website", "Website", "url"),
    ),
    _t(
        "passport",
        "Passport",
        ("passport_type", "Type", "text"),
        ("issuing_country", "Issuing Country", "text"),
        ("number", "Number", "text"),
        ("full_name", "Full Name", "text"),
        ("sex", "Sex", "text"),
        ("nationality", "Nationality", "text"),
        ("date_of_birth", "Date of Birth", "date"),
        ("place_of_birth", "Place of Birth", "text"),
        ("issue_date", "Issue Date", "date"),
        ("expiration_date", "Expiration Date", "date"),
        ("authority", "Issuing Authority", "text"),
    ),
    _t(
        "drivers_licence",
        "Driver's Licence",
        ("number", "Number", "text"),
        ("full_name", "Full Name", "text"),
        ("address", "Address", "multiline"),
        ("date_of_birth", "Date of Birth", "date"),
        ("licence_class", "Class", "text"),
        ("issuing_region", "Country / State", "text"),
        ("issue_date", "Issue Date", "date"),
        ("expiration_date", "Expiration Date", "date"),
    ),
    _t(
        "software_licence",
        "Software Licence",
        ("licence_key", "Licence Key", "hidden"),
        ("version", "Version", "text"),
        ("licensed_to", "Licensed To", "text"),
        ("email", "Registered Email", "email"),
        ("company", "Company", "text"),
        ("purchase_date", "Purchase Date", "date"),
        ("order_number", "Order Number", "text"),
        ("website", "Website", "url"),
    ),
    _t(
        "wifi",
        "Wi-Fi",
        ("network_name", "Network Name (SSID)", "text"),
        ("password", "Password", "hidden"),
        ("security", "Security Type", "text"),
        ("base_station_name", "Base Station Name", "text"),
        ("base_station_password", "Base Station Password", "hidden"),
        ("server_address", "Server / IP Address", "text"),
    ),
    _t(
        "social_security_number",
        "Social Security Number",
        ("name", "Name", "text"),
        ("number", "Number", "hidden"),
    ),
    _t(
        "server",
        "Server",
        ("hostname", "Hostname", "text"),
        ("port", "Port", "number"),
        ("username", "Username", "text"),
        ("password", "Password", "hidden"),
        ("admin_url", "Admin Console URL", "url"),
        ("admin_username", "Admin Username", "text"),
        ("admin_password", "Admin Password", "hidden"),
    ),
)

# Other names people reach for: American spellings, abbreviations, mSecure's older labels.
_ALIASES: Final[Mapping[str, str]] = {
    normalize_name(alias): key
    for alias, key in (
        ("Driver's License", "drivers_licence"),
        ("Driving Licence", "drivers_licence"),
        ("Software License", "software_licence"),
        ("Software", "software_licence"),
        ("Wireless", "wifi"),
        ("SSN", "social_security_number"),
        ("Note", "secure_note"),
        ("Email", "email_account"),
        ("Bank", "bank_account"),
        ("Card", "credit_card"),
    )
}

_BY_NAME: Final[Mapping[str, Template]] = {
    name: template
    for template in TEMPLATES
    for name in (normalize_name(template.key), normalize_name(template.label))
}


def find_template(name: str, custom_templates: Iterable[Template] = ()) -> Template:
    """The record type called ``name``: a built-in one by key, label or alias ("login", "Login",
    "credit-card", "Credit Card", "credit_card", "Driver's License"…), then a user-defined one.
    Raises :class:`UnknownType` listing the choices."""
    wanted = normalize_name(name)
    builtin = _BY_NAME.get(wanted) or _BY_NAME.get(normalize_name(_ALIASES.get(wanted, "")))
    if builtin is not None:
        return builtin
    customs = list(custom_templates)
    for template in customs:
        if template.matches(name):
            return template
    raise UnknownType(name, [t.label for t in TEMPLATES] + [t.label for t in customs])
