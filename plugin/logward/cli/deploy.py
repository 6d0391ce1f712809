"""`logward plan|deploy|destroy|export`: put Logward into an Elastic stack and keep it in step.

    plan            what deploy would create, update, leave alone or delete; writes nothing
    deploy          apply the plan; a redeploy of unchanged content makes no write calls
    destroy --yes   delete everything that carries Logward's managed marker (not your data,
                    not logward@custom)
    export DIR      Kibana rules as NDJSON and Elasticsearch requests as JSON, for your own pipeline

Where to: --es-url/--kibana-url or ES_URL/KIBANA_URL (either or both). Credentials come
from the environment (ES_API_KEY, or ES_USERNAME and ES_PASSWORD; KIBANA_API_KEY etc. when
Kibana's differ) or a --config file, never from flags, so they stay out of shell history
and process lists. TLS certificates are verified unless --insecure is given.
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

from ..compiler.options import MIN_KIBANA, NEEDS_KIBANA
from ..content.paths import content_root, rule_folders
from ..deploy.errors import DeployError
from ..deploy.settings import load_settings
from ..engine.lines import counted, printable
from ..rules.model import FirstSeenRule

EXPORT = """`logward export DIR`: everything deploy would write, as files, for teams that ship
through their own pipeline. Nothing is sent anywhere, so no URL or credentials are needed.

    DIR/kibana/rules.ndjson          Kibana's rule import
    DIR/kibana/saved_objects.ndjson  data views and dashboards: Kibana's saved objects import
    DIR/elasticsearch/NN-*.json      {"method", "path", "body"}: one request each, in order;
                                     send one marked "create_only" only if its object is missing

The content is checked as a deploy checks it: invalid content writes nothing. A folder that
cannot be written is a one-line error (exit status 1).
"""

HELP = {
    "plan": "show what deploy would change, writing nothing",
    "deploy": "install or update Logward in Elasticsearch and Kibana",
    "destroy": "remove what Logward installed (needs --yes)",
    "export": "write the rules and bodies to files instead of deploying",
}


def add_parser(commands: Any, name: str) -> None:
    p = commands.add_parser(name, help=HELP[name], description=EXPORT if name == "export" else __doc__,
                            formatter_class=argparse.RawDescriptionHelpFormatter)
    if name == "export":
        p.add_argument("dir", metavar="DIR", help="folder to write (created if needed)")
        p.add_argument("--space", help="Kibana space the rules' links point to (env KIBANA_SPACE; default: default)")
        p.add_argument("--kibana-base-path", metavar="PATH",
                       help="Kibana's server.basePath, which the rules' links start with (default: none)")
        p.add_argument("--kibana-version", type=_version, default=(8, 18, 0), metavar="X.Y",
                       help="the Kibana the rules are for: correlations suppress their repeats from 8.18, "
                            "as deploy does (default: 8.18)")
    else:
        p.add_argument("--es-url", help="Elasticsearch URL (env ES_URL)")
        p.add_argument("--kibana-url", help="Kibana URL (env KIBANA_URL)")
        p.add_argument("--space", help="Kibana space (env KIBANA_SPACE; default: default)")
        p.add_argument("--ca-cert", help="CA certificate file for TLS (env ES_CA_CERT)")
        p.add_argument("--kibana-ca-cert", help="Kibana's CA certificate file, if another (env KIBANA_CA_CERT)")
        p.add_argument("--insecure", action="store_true", help="do not verify TLS certificates")
        p.add_argument("--config", metavar="FILE", help="YAML file of settings (lower precedence than env and flags)")
    p.add_argument("--index", help="comma-separated index patterns the rules search (default: logs-logward.auth-*)")
    p.add_argument("--nsm-index", help="comma-separated Zeek/NSM index patterns for pivots "
                                       "(default: logs-zeek.*,zeek-*)")
    if name == "destroy":
        p.add_argument("--yes", action="store_true", help="really delete")
    if name in ("plan", "deploy", "destroy"):
        p.add_argument("-v", "--verbose", action="store_true", help="list unchanged objects too")


def _version(text: str) -> tuple[int, ...]:
    """The Kibana an export is for: one deploy would refuse is refused here too."""
    parts = text.split(".")
    if not 2 <= len(parts) <= 3 or not all(part.isdigit() for part in parts):
        raise argparse.ArgumentTypeError(f"a Kibana version is X.Y or X.Y.Z, not {text!r}")
    version = tuple(int(part) for part in parts)
    if version < MIN_KIBANA:
        raise argparse.ArgumentTypeError(f"Kibana {text} is too old: {NEEDS_KIBANA}")
    return version


def say(text: str) -> None:
    """Servers' words (versions, reasons) reach the terminal too: escaped like log text."""
    print(printable(text), flush=True)


def run(args: argparse.Namespace) -> int:
    try:
        return _run(args)
    except DeployError as e:
        print(f"logward {args.command}: {printable(str(e))}", file=sys.stderr)
        return 1


def _run(args: argparse.Namespace) -> int:
    # Imported here: the Elasticsearch client takes a third of a second to import, which
    # every other command (replay above all) would pay for nothing.
    from ..deploy.elastic import Elastic
    from ..deploy.export import export
    from ..deploy.kibana import Kibana
    from ..deploy.objects import Capabilities, Content, desired
    from ..deploy.plan import System, apply, make_plan, summary

    flags = {name: getattr(args, name, None) for name in ("es_url", "kibana_url", "space", "ca_cert", "kibana_ca_cert",
                                                          "index", "nsm_index", "kibana_base_path")}
    if getattr(args, "insecure", False):
        flags["verify_certs"] = False
    # An export reaches no server: stack URLs and credentials in the environment are not its concern.
    environ = {k: v for k, v in os.environ.items() if k == "KIBANA_SPACE"} if args.command == "export" else os.environ
    settings = load_settings(flags, environ, getattr(args, "config", None))
    content = Content.load(content_root(args.content), rule_folders(args.local_rules))
    if args.command == "export":
        files = export(desired(content, settings, Capabilities(kibana_version=args.kibana_version)), Path(args.dir))
        say(f"wrote {counted(len(files), 'file')} to {args.dir}")
        return 0

    for warning in settings.warnings:
        print(f"logward {args.command}: warning: {warning}", file=sys.stderr)
    systems: list[System] = []
    caps = Capabilities()
    if settings.es_url:
        elastic = Elastic(settings)
        needs_transforms = any(isinstance(r, FirstSeenRule) for r in content.rules.rules)
        for note in elastic.preflight(needs_transforms):
            say(note)
        caps = elastic.caps
        systems.append(elastic)
    if settings.kibana_url:
        kibana = Kibana(settings)
        for note in kibana.preflight():
            say(note)
        caps = replace(caps, kibana_version=kibana.version)
        systems.append(kibana)
    if not systems:
        raise DeployError(f"no stack to {args.command}: set ES_URL and/or KIBANA_URL (or --es-url, --kibana-url)")

    wanted = [] if args.command == "destroy" else desired(content, settings, caps)
    steps = make_plan(wanted, systems)
    for step in steps:
        if step.changes or args.verbose:
            say(f"  {step.action:<9} {step.system} {step.label}")
    say(f"plan: {summary(steps)}")
    if args.command == "plan":
        return 0
    if args.command == "destroy" and not args.yes:
        say("destroy: nothing deleted; run again with --yes to delete the objects above")
        return 1
    done = apply(steps, systems, say)
    if args.command == "destroy":
        say("kept: your data (the logs-logward.auth-* data stream, the logward-fts-* entity indices) and "
            "the logward@custom pipeline")
    say(f"{args.command}: {counted(done, 'change')} made" if done else f"{args.command}: nothing to change")
    return 0
