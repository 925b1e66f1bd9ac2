#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""findings.py - read the JSON document of `klp-convert-mini --check
--format=json` and print it in two plain forms for run-check.sh.

  findings.py DOC.json SUMMARY TEXT
writes both forms, SUMMARY and TEXT, in one run (python starts slowly):

  SUMMARY                        one line per finding, then one per file:
                                   FILE|SEVERITY|RULE|LOCATION|SYMBOL|KERNEL
                                   FILE|errors=N|warnings=M
                                 KERNEL is the kernel's message, or "none"
                                 where the table explains that the kernel
                                 prints nothing ("none: ...")
  TEXT                           the stderr lines the text format must print
                                 for the same findings, built from the JSON
                                 fields by the README's message shape:
    klp-convert-mini: SEVERITY: FILE: LOC: symbol 'SYM': MESSAGE [RULE] (kernel: "KERNEL")

Exit 1, with a reason on stderr, when the document does not have the
shape the issue specifies: {"files": [{"file", "findings": [{"severity",
"rule", "location", "symbol", "message", "kernel"}], "errors",
"warnings"}]}, or when a file's counts disagree with its findings.
"""
import json
import sys

FINDING_KEYS = ["severity", "rule", "location", "symbol", "message", "kernel"]
FILE_KEYS = ["file", "findings", "errors", "warnings"]


def bad(why):
    print("findings.py: " + why, file=sys.stderr)
    sys.exit(1)


def load(path):
    with open(path, encoding="utf-8") as f:
        try:
            doc = json.load(f)
        except ValueError as e:
            bad("not JSON: %s" % e)
    if not isinstance(doc, dict) or list(doc) != ["files"]:
        bad("top level is not {\"files\": [...]}")
    if not isinstance(doc["files"], list):
        bad("\"files\" is not an array")
    for fe in doc["files"]:
        if not isinstance(fe, dict) or sorted(fe) != sorted(FILE_KEYS):
            bad("file entry has keys %s" % sorted(fe))
        if not isinstance(fe["errors"], int) or not isinstance(fe["warnings"], int):
            bad("errors/warnings are not integers")
        errors = warnings = 0
        for fd in fe["findings"]:
            if not isinstance(fd, dict) or sorted(fd) != sorted(FINDING_KEYS):
                bad("finding has keys %s" % sorted(fd))
            for k in FINDING_KEYS:
                if not isinstance(fd[k], str):
                    bad("finding field %s is not a string" % k)
            if fd["severity"] == "error":
                errors += 1
            elif fd["severity"] == "warning":
                warnings += 1
            else:
                bad("severity %r" % fd["severity"])
        if (errors, warnings) != (fe["errors"], fe["warnings"]):
            bad("%s: counts errors=%d warnings=%d, findings say %d and %d" %
                (fe["file"], fe["errors"], fe["warnings"], errors, warnings))
    return doc


def summary(doc, out):
    for fe in doc["files"]:
        for fd in fe["findings"]:
            kernel = fd["kernel"]
            if kernel.startswith("none:"):
                kernel = "none"
            print("|".join([fe["file"], fd["severity"], fd["rule"],
                            fd["location"], fd["symbol"], kernel]), file=out)
        print("%s|errors=%d|warnings=%d" %
              (fe["file"], fe["errors"], fe["warnings"]), file=out)


def escaped(line):
    # diag.c keeps a message on one line: control characters as \xNN.
    return "".join("\\x%02x" % ord(c) if ord(c) < 0x20 or ord(c) == 0x7f
                   else c for c in line)


def text(doc, out):
    for fe in doc["files"]:
        for fd in fe["findings"]:
            line = "klp-convert-mini: %s: %s: " % (fd["severity"], fe["file"])
            if fd["rule"] == "malformed":
                # Problems found while reading the file have no rule id in
                # the text form: diag.c prints the message alone.
                print(escaped(line + fd["message"]), file=out)
                continue
            if fd["location"]:
                line += fd["location"] + ": "
            if fd["symbol"]:
                line += "symbol '%s': " % fd["symbol"]
            line += "%s [%s]" % (fd["message"], fd["rule"])
            if fd["kernel"]:
                line += ' (kernel: "%s")' % fd["kernel"]
            print(escaped(line), file=out)


def main():
    if len(sys.argv) != 4:
        bad("usage: findings.py DOC.json SUMMARY TEXT")
    doc = load(sys.argv[1])
    with open(sys.argv[2], "w", encoding="utf-8") as out:
        summary(doc, out)
    with open(sys.argv[3], "w", encoding="utf-8") as out:
        text(doc, out)


main()
