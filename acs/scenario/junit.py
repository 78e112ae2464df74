"""JUnit XML, the report CI systems read: one testsuite, one testcase per scenario, a
``failure`` for a scenario that failed and an ``error`` for a file that could not run."""

from __future__ import annotations

import socket
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from acs.scenario.runner import Result

SUITE = "acs scenarios"


def junit_xml(results: Sequence[Result], seconds: float) -> bytes:
    failures = sum(r.status == "failed" for r in results)
    errors = sum(r.status == "invalid" for r in results)
    counts = {
        "tests": str(len(results)),
        "failures": str(failures),
        "errors": str(errors),
        "skipped": "0",
        "time": f"{seconds:.3f}",
    }
    root = ET.Element("testsuites", {"name": SUITE, **counts})
    suite = ET.SubElement(
        root,
        "testsuite",
        {
            "name": SUITE,
            **counts,
            "timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S"),
            "hostname": socket.gethostname(),
        },
    )
    for r in results:
        case = ET.SubElement(
            suite,
            "testcase",
            {
                "classname": f"scenarios.{r.channel}",
                "name": r.name,
                "file": r.file,
                "time": f"{r.seconds:.3f}",
            },
        )
        if r.status == "failed":
            failure = ET.SubElement(
                case, "failure", {"message": f"{r.step}: {r.message}", "type": "ScenarioFailed"}
            )
            failure.text = "\n".join([*r.log, f"{r.step}: {r.message}"])
        elif r.status == "invalid":
            error = ET.SubElement(case, "error", {"message": r.message or "", "type": "Invalid"})
            error.text = r.message
        if r.log:
            ET.SubElement(case, "system-out").text = "\n".join(r.log)
    ET.indent(root)
    body: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return body


def write_junit(path: Path, results: Sequence[Result], seconds: float) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(junit_xml(results, seconds))
