"""Deploy settings: flags over environment over a config file; secrets never shown."""

from __future__ import annotations

from pathlib import Path

import pytest

from logward.content.paths import ContentError
from logward.deploy.errors import DeployError, redact
from logward.deploy.settings import load_settings


def test_flags_win_over_environment_over_config(tmp_path: Path) -> None:
    config = tmp_path / "deploy.yml"
    config.write_text("es_url: https://from-config:9200\nkibana_url: https://kb-config:5601\nspace: soc\n"
                      "nsm_index: [corelight-*]\n")
    env = {"ES_URL": "https://from-env:9200", "KIBANA_SPACE": "secops", "ES_API_KEY": "key-from-env"}
    settings = load_settings({"es_url": "https://from-flag:9200", "index": "a-*, b-*"}, env, config)
    assert settings.es_url == "https://from-flag:9200"
    assert settings.kibana_url == "https://kb-config:5601"
    assert settings.space == "secops"
    assert settings.index == ("a-*", "b-*") and settings.nsm_index == ("corelight-*",)
    assert settings.verify_certs is True
    assert settings.kibana_credentials() == ("key-from-env", None, None)  # Kibana falls back to ES's key


def test_secrets_stay_out_of_repr_and_messages() -> None:
    settings = load_settings({}, {"ES_PASSWORD": "pw-123456", "ES_USERNAME": "elastic", "ES_API_KEY": "k-98765"})
    assert "pw-123456" not in repr(settings) and "k-98765" not in repr(settings)
    text = redact("failed at https://elastic:pw-123456@es:9200 with k-98765", settings.secrets)
    assert "pw-123456" not in text and "k-98765" not in text and "https://***@es:9200" in text


def test_a_config_file_with_an_unknown_setting_is_named(tmp_path: Path) -> None:
    config = tmp_path / "deploy.yml"
    config.write_text("es_ulr: https://typo:9200\n")
    with pytest.raises(ContentError, match=r"deploy.yml: unknown settings \['es_ulr'\]"):
        load_settings({}, {}, config)


@pytest.mark.parametrize("url", ["es.invalid:9200", "kibana", "ftp://es:9200", "elastic:pw-123456@es:9200",
                                 "https://[::1", "https://es:port"])
def test_an_address_that_is_not_a_url_is_refused_by_name(url: str) -> None:
    with pytest.raises(DeployError, match=r"ES_URL \(or --es-url\) '.*' is not a URL") as caught:
        load_settings({"es_url": url}, {})
    assert "pw-123456" not in str(caught.value)


@pytest.mark.parametrize("space", ["my space", "SOC", "soc/", ""])
def test_a_space_that_is_not_a_kibana_space_id_is_refused(space: str) -> None:
    """Its id goes into object ids and /s/<id>/ links, which would break."""
    with pytest.raises(DeployError, match="is not a Kibana space id"):
        load_settings({"space": space}, {})
    assert load_settings({"space": "soc_eu-1"}, {}).space == "soc_eu-1"


def test_an_operator_hears_when_credentials_could_be_read_on_the_way() -> None:
    secure = load_settings({}, {"ES_URL": "https://es:9200", "ES_API_KEY": "k", "KIBANA_URL": "https://kb:5601"})
    assert secure.warnings == []
    insecure = load_settings({"verify_certs": False}, {"ES_URL": "https://es:9200", "ES_API_KEY": "k"})
    assert [w for w in insecure.warnings if "not verified" in w]
    plain = load_settings({}, {"ES_URL": "http://es:9200", "KIBANA_URL": "http://kb:5601", "ES_API_KEY": "k"})
    assert len([w for w in plain.warnings if "plain http" in w]) == 2
    assert load_settings({}, {"ES_URL": "http://es:9200"}).warnings == []  # no credentials
    assert load_settings({}, {"ES_URL": "http://elastic:secret@es:9200"}).warnings  # in the URL
    assert load_settings({"verify_certs": False}, {"ES_URL": "http://es:9200"}).warnings == []  # no TLS at all
    assert load_settings({}, {"ES_URL": "http://127.0.0.1:9200", "ES_API_KEY": "k"}).warnings == []  # this machine


def test_kibana_may_have_a_ca_of_its_own_and_takes_none_over_http(tmp_path: Path) -> None:
    from logward.deploy.kibana import Kibana

    es_ca, kb_ca = tmp_path / "es-ca.pem", tmp_path / "kb-ca.pem"
    es_ca.write_text("x")
    kb_ca.write_text("x")
    settings = load_settings({}, {"KIBANA_URL": "https://kb:5601", "ES_CA_CERT": str(es_ca),
                                  "KIBANA_CA_CERT": str(kb_ca)})
    assert settings.kibana_ca_cert == str(kb_ca) and settings.ca_cert == str(es_ca)
    # Over http a CA would be an error of the HTTP library's (TLS options need https).
    Kibana(load_settings({}, {"KIBANA_URL": "http://kb:5601", "ES_CA_CERT": str(es_ca)}))


@pytest.mark.parametrize(("line", "expected"), [("es_url: 123", "a string"), ('verify_certs: "false"', "true or false"),
                                                ("index: 5", "a string or a list")])
def test_a_config_value_of_the_wrong_type_is_named(tmp_path: Path, line: str, expected: str) -> None:
    config = tmp_path / "c.yml"
    config.write_text(line + "\n")
    with pytest.raises(ContentError, match=expected) as error:
        load_settings({}, {}, config)
    assert str(config) in str(error.value) and line.split(":")[0] in str(error.value)


def test_a_ca_file_that_is_not_there_is_named_before_any_connection(tmp_path: Path) -> None:
    with pytest.raises(DeployError, match=r"ES_CA_CERT .*nope\.pem.*no such file"):
        load_settings({}, {"ES_URL": "https://es:9200", "ES_CA_CERT": str(tmp_path / "nope.pem")})
