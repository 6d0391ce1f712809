"""Where to deploy and how to authenticate: flags, then environment, then a config file.

Environment: ES_URL, KIBANA_URL, ES_API_KEY, ES_USERNAME, ES_PASSWORD, ES_CA_CERT,
KIBANA_SPACE (and KIBANA_API_KEY, KIBANA_USERNAME, KIBANA_PASSWORD, KIBANA_CA_CERT when
Kibana's differ). TLS certificates are verified unless --insecure is given, and `warnings`
says when they are not, or when credentials would go over plain http. Secrets are kept out
of every message and of repr().
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ..compiler.options import Target
from ..content.paths import ContentError, read_yaml
from .errors import DeployError

# A Kibana space's id, as its URL has it (/s/<id>/app/...).
_SPACE_ID = re.compile(r"[a-z0-9_-]+")
SECRET_FIELDS = ("es_api_key", "es_password", "kibana_api_key", "kibana_password")
_ENV = {
    "es_url": "ES_URL", "kibana_url": "KIBANA_URL", "es_api_key": "ES_API_KEY", "es_username": "ES_USERNAME",
    "es_password": "ES_PASSWORD", "ca_cert": "ES_CA_CERT", "space": "KIBANA_SPACE",
    "kibana_api_key": "KIBANA_API_KEY", "kibana_username": "KIBANA_USERNAME", "kibana_password": "KIBANA_PASSWORD",
    "kibana_ca_cert": "KIBANA_CA_CERT",
}


@dataclass(frozen=True)
class Settings:
    es_url: str | None = None
    kibana_url: str | None = None
    es_api_key: str | None = field(default=None, repr=False)
    es_username: str | None = None
    es_password: str | None = field(default=None, repr=False)
    kibana_api_key: str | None = field(default=None, repr=False)
    kibana_username: str | None = None
    kibana_password: str | None = field(default=None, repr=False)
    ca_cert: str | None = None
    kibana_ca_cert: str | None = None  # else ca_cert: one CA often signs both
    verify_certs: bool = True
    space: str = "default"
    kibana_base_path: str | None = None  # Kibana's server.basePath; else KIBANA_URL's path
    index: tuple[str, ...] = ("logs-logward.auth-*",)
    nsm_index: tuple[str, ...] = ("logs-zeek.*", "zeek-*")

    @property
    def secrets(self) -> tuple[str, ...]:
        return tuple(v for v in (getattr(self, f) for f in SECRET_FIELDS) if v)

    def target(self) -> Target:
        """Where the compiled rules and transforms look for data; links in them start with
        Kibana's base path, the path of KIBANA_URL."""
        if self.kibana_base_path is not None:
            base_path = "/" + self.kibana_base_path.strip("/") if self.kibana_base_path.strip("/") else ""
        else:
            base_path = urlsplit(self.kibana_url).path.rstrip("/") if self.kibana_url else ""
        return Target(index=self.index, nsm_index=self.nsm_index, space=self.space, base_path=base_path)

    @property
    def warnings(self) -> list[str]:
        """What about this connection an operator must hear: credentials readable on the way."""
        out = []
        urls = [url for url in (self.es_url, self.kibana_url) if url]
        if not self.verify_certs and any(urlsplit(url).scheme == "https" for url in urls):
            out.append("TLS certificates are not verified (--insecure or verify_certs: false): whoever sits "
                       "between here and the stack can read the credentials and change what is deployed")
        es_credentials = self.es_api_key or self.es_username
        kibana_credentials = any(self.kibana_credentials()[:2])
        for name, url, sends in (("ES_URL", self.es_url, es_credentials), ("KIBANA_URL", self.kibana_url,
                                                                            kibana_credentials)):
            parts = urlsplit(url) if url else None
            if parts and (sends or parts.username) and parts.scheme == "http" and not _loopback(parts.hostname):
                out.append(f"{name} is plain http: the credentials go over the network unencrypted")
        return out

    def kibana_credentials(self) -> tuple[str | None, str | None, str | None]:
        """Kibana's own credentials if given, else Elasticsearch's (the usual setup)."""
        if self.kibana_api_key or self.kibana_username:
            return self.kibana_api_key, self.kibana_username, self.kibana_password
        return self.es_api_key, self.es_username, self.es_password


def load_settings(flags: Mapping[str, Any], environ: Mapping[str, str] = os.environ,
                  config: str | Path | None = None) -> Settings:
    """Settings from, in order of precedence, flags, the environment and a config file."""
    values: dict[str, Any] = {}
    if config:
        data = read_yaml(Path(config)) or {}
        if not isinstance(data, dict):
            raise ContentError(f"{config}: a config file is a mapping of settings")
        unknown = set(data) - {f.name for f in fields(Settings)}
        if unknown:
            raise ContentError(f"{config}: unknown settings {sorted(unknown)}")
        for name, value in data.items():
            if not _typed(name, value):
                raise ContentError(f"{config}: setting {name!r} is {value!r}, not "
                                   + ("true or false" if name == "verify_certs" else
                                      "a string or a list of strings" if name in _LISTS else "a string"))
        values.update(data)
    for name, variable in _ENV.items():
        if environ.get(variable):
            values[name] = environ[variable]
    values.update({k: v for k, v in flags.items() if v is not None})
    for name in ("index", "nsm_index"):
        if isinstance(values.get(name), str):
            values[name] = tuple(p.strip() for p in values[name].split(",") if p.strip())
        elif isinstance(values.get(name), list):
            values[name] = tuple(values[name])
    for name in ("es_url", "kibana_url"):
        if values.get(name) and not _is_url(values[name]):
            shown = values[name].rpartition("@")[2]  # never a password, even in a malformed URL
            raise DeployError(f"{_ENV[name]} (or --{name.replace('_', '-')}) {shown!r} is not a URL: "
                              "write it as https://host:port")
    space = values.get("space")
    if space is not None and not (isinstance(space, str) and _SPACE_ID.fullmatch(space)):
        raise DeployError(f"KIBANA_SPACE (or --space) {space!r} is not a Kibana space id: its URL identifier, "
                          "of lowercase letters, digits, '_' and '-' (a space named 'My SOC' is 'my-soc')")
    for name in ("ca_cert", "kibana_ca_cert"):  # named now: a missing one reads as an unreachable server later
        if values.get(name) and not os.access(values[name], os.R_OK):
            flag = "--" + name.replace("_", "-")
            raise DeployError(f"{_ENV[name]} (or {flag}) {values[name]!r}: no such file, or not readable")
    return Settings(**values)


_LISTS = ("index", "nsm_index")


def _typed(name: str, value: Any) -> bool:
    """Whether a config file's value has its setting's type (YAML reads `123` as a number)."""
    if value is None:
        return True
    if name == "verify_certs":
        return isinstance(value, bool)
    if name in _LISTS:
        return isinstance(value, str) or (isinstance(value, list) and all(isinstance(v, str) for v in value))
    return isinstance(value, str)


def _loopback(host: str | None) -> bool:
    """A host on this machine, which credentials reach without crossing a network."""
    try:
        return host == "localhost" or ipaddress.ip_address(host or "").is_loopback
    except ValueError:
        return False


def _is_url(text: str) -> bool:
    try:
        url = urlsplit(text)
        return url.scheme in ("http", "https") and bool(url.hostname) and (url.port or 0) >= 0
    except ValueError:  # "https://[::1", a port that is not a number
        return False
