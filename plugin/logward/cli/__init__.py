"""The `logward` command: one module per subcommand, each with `add_parser` and `run`."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from ..content.paths import ContentError
from ..engine.ingest.errors import PipelineDefinitionError
from . import deploy, logtest, replay, ruletest

COMMANDS = {"logtest": logtest, "replay": replay, "test": ruletest,
            "plan": deploy, "deploy": deploy, "destroy": deploy, "export": deploy}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="logward", description="Log-analysis intrusion detection for Elastic.")
    content = "folder with pipelines/ and detections/ (default: this repository)"
    rules = "a folder of your own rules, read beside the content's (repeatable; env LOGWARD_RULES)"
    parser.add_argument("--content", metavar="DIR", help=content)
    parser.add_argument("--rules", metavar="DIR", action="append", dest="local_rules", help=rules)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, module in COMMANDS.items():
        module.add_parser(commands, name)
        # After the command too (`logward test --content DIR`), where users put them.
        commands.choices[name].add_argument("--content", metavar="DIR", dest="content_after", help=content)
        commands.choices[name].add_argument("--rules", metavar="DIR", action="append", dest="rules_after",
                                            default=[], help=rules)
    args, unknown = parser.parse_known_args(argv)
    if unknown:  # said by the command's own parser, with its usage (`logward replay --jsn`)
        commands.choices[args.command].error(f"unrecognized arguments: {' '.join(unknown)}")
    if args.content_after and args.content and args.content_after != args.content:
        parser.error(f"--content is given twice: {args.content} and {args.content_after}")
    args.content = args.content_after or args.content
    args.local_rules = [*(args.local_rules or ()), *args.rules_after] or None
    try:
        return COMMANDS[args.command].run(args)
    except (ContentError, PipelineDefinitionError) as e:
        print(f"logward: {e}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0
    except KeyboardInterrupt:
        return 130
