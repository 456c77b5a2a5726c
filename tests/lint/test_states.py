"""Typed states (DESIGN.md, issue 9): job, host, lease, wallet and stop-request states are enums
from core's X-macro lists, and their names appear only in core's one mapping of each list. So no
.c file outside src/core compares a string against a state name (strcmp(x->status, "active"),
strcmp(reason, "preempt"), ...): it parses the name with core's *_parse function and compares
enums. The names are read from the X-macro lists themselves, so a state added there is covered.

A compare against another system's state that happens to share a name (Docker's "running") says
so on its line with the marker comment `foreign state`."""
import os
import re

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
SRC = os.path.join(ROOT, "src")
LISTS = {
    "core/jobstate.h": ("JOBSTATE_STATES", "JOBSTATE_STOP_REASONS"),
    "core/states.h": ("HOSTSTATE_STATES", "LEASESTATE_STATES", "WALLETSTATE_STATES"),
    "core/provider.h": ("PROVIDERSTATE_STATES",),
}
MARKER = "foreign state"
COMPARE = re.compile(r"\bstr(?:n?case)?n?cmp\s*\(")
LITERAL = re.compile(r'"((?:[^"\\]|\\.)*)"')


def state_names():
    names = {}
    for rel, macros in LISTS.items():
        with open(os.path.join(SRC, rel), encoding="utf-8") as fh:
            text = fh.read()
        for macro in macros:
            m = re.search(r"#define\s+%s\(X\)((?:[^\n]*\\\n)+[^\n]*)" % macro, text)
            assert m, "%s: no X-macro list %s" % (rel, macro)
            found = re.findall(r'X\(\s*\w+\s*,\s*"([^"]+)"', m.group(1))
            assert found, "%s: list %s names no state" % (rel, macro)
            for n in found:
                names.setdefault(n, macro)
    return names


def offending_lines(text, names):
    """(line number, line) of each line that compares a string with a state name literal."""
    bad = []
    for no, line in enumerate(text.splitlines(), 1):
        if MARKER in line or not COMPARE.search(line):
            continue
        code = line.split("//", 1)[0]
        if any(lit in names for lit in LITERAL.findall(code)):
            bad.append((no, line.strip()))
    return bad


def c_files():
    for root, _, files in os.walk(SRC):
        rel = os.path.relpath(root, SRC)
        if rel == "core" or rel.startswith("core" + os.sep):
            continue
        for f in sorted(files):
            if f.endswith(".c"):
                yield os.path.join(root, f)


def test_lists_are_found():
    names = state_names()
    for n in ("queued", "running", "cancelled", "preempt", "insufficient_funds", "pending", "active",
              "dead", "released", "expired", "grace", "suspended"):
        assert n in names, n


def test_the_check_catches_a_compare():
    names = state_names()
    sample = ('if (strcmp(h->status, "active") == 0)\n'
              'x = strncmp(j.stop_requested, "preempt", 7);\n'
              'if (strcmp(ds.status, "running") != 0) { /* foreign state: Docker\'s */\n'
              'log_info("job is running");\n'
              'if (strcmp(fmt, "json") == 0)\n')
    assert [n for n, _ in offending_lines(sample, names)] == [1, 2]


def test_no_state_string_compared_outside_core():
    names = state_names()
    bad = []
    for path in c_files():
        with open(path, encoding="utf-8") as fh:
            for no, line in offending_lines(fh.read(), names):
                bad.append("%s:%d: %s" % (os.path.relpath(path, ROOT), no, line))
    assert not bad, ("state names compared as strings outside src/core (parse with core's "
                     "*_parse and compare enums):\n" + "\n".join(bad))
