"""The server's rooms keep their arrows pointing down (DESIGN.md, docs/architecture.md):
api -> svc -> core/store -> common. Checked on the #include graph of src/:
  - core includes only core and common; store only store, core and common;
  - svc includes nothing from api/, and from http/ only the two leaf modules it may feed
    (the SSE bus and the metrics counters), which themselves include nothing from svc/ or api/;
  - no include circle among the files of svc/ (a file's .c and .h count as one node);
  - http/ includes nothing from api/ except the handler declarations the route table names."""
import os
import re
from collections import defaultdict

SRC = os.path.join(os.path.dirname(__file__), "..", "..", "src")
INC = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def graph():
    g = defaultdict(set)
    for root, _, files in os.walk(SRC):
        for f in files:
            if not f.endswith((".c", ".h")):
                continue
            path = os.path.relpath(os.path.join(root, f), SRC)
            node = path.rsplit(".", 1)[0]
            with open(os.path.join(root, f), encoding="utf-8") as fh:
                for inc in INC.findall(fh.read()):
                    dep = inc.rsplit(".", 1)[0]
                    if dep != node:
                        g[node].add(dep)
    return g


def test_core_and_store_stay_below():
    bad = []
    for node, deps in graph().items():
        for d in deps:
            if node.startswith("core/") and not d.startswith(("core/", "common/")):
                bad.append((node, d))
            if node.startswith("store/") and not d.startswith(("store/", "core/", "common/")):
                bad.append((node, d))
            if node.startswith("common/") and not d.startswith("common/"):
                bad.append((node, d))
    assert not bad, bad


def test_svc_does_not_reach_up():
    allowed = {"server/http/sse", "server/http/metrics"}
    g = graph()
    bad = [(n, d) for n, deps in g.items() if n.startswith("server/svc/") for d in deps
           if d.startswith("server/api/") or (d.startswith("server/http/") and d not in allowed)]
    assert not bad, bad
    for leaf in allowed:
        up = [d for d in g[leaf] if d.startswith(("server/svc/", "server/api/"))]
        assert not up, (leaf, up)


def test_http_names_only_the_handlers():
    g = graph()
    bad = [(n, d) for n, deps in g.items() if n.startswith("server/http/") for d in deps
           if d.startswith("server/api/") and not d.startswith("server/api/handlers")]
    assert not bad, bad


def test_no_circle_between_services():
    g = graph()
    svc = {n for n in g if n.startswith("server/svc/")} | {d for n in g for d in g[n] if d.startswith("server/svc/")}
    edges = {n: {d for d in g.get(n, ()) if d in svc} for n in svc}
    state, stack, cycles = {}, [], []

    def visit(n):
        state[n] = 1
        stack.append(n)
        for d in edges[n]:
            if state.get(d) == 1:
                cycles.append(stack[stack.index(d):] + [d])
            elif d not in state:
                visit(d)
        stack.pop()
        state[n] = 2

    for n in sorted(svc):
        if n not in state:
            visit(n)
    assert not cycles, cycles
