"""The package's modules import each other one way (issue 11): no module-level import cycle.

A cycle works only as long as every module in it is imported in one order (the first one's names
must not be needed while the others load), so a new import elsewhere can break `import philox`.
"""
import ast
import os

import philox

SRC = os.path.dirname(philox.__file__)


def _module_level_imports(path):
    """The sibling modules a file imports at module level (also inside module-level try/if; not
    under ``if TYPE_CHECKING:``, which only type checkers run)."""
    deps = set()
    todo = list(ast.parse(open(path, encoding="utf-8").read()).body)
    while todo:
        node = todo.pop()
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            todo += node.orelse
        elif isinstance(node, (ast.Try, ast.If)):
            todo += node.body + node.orelse + [n for h in getattr(node, "handlers", []) for n in h.body]
        elif isinstance(node, ast.ImportFrom) and node.level == 1:
            deps |= {node.module.split(".")[0]} if node.module else {a.name for a in node.names}
    return deps


def test_no_module_level_import_cycle():
    graph = {f[:-3]: _module_level_imports(os.path.join(SRC, f)) for f in os.listdir(SRC) if f.endswith(".py")}
    state = {}

    def visit(m, stack):
        state[m] = "open"
        for d in sorted(graph.get(m, ())):
            assert state.get(d) != "open", "import cycle: " + " -> ".join(stack[stack.index(d):] + [m, d])
            if d not in state:
                visit(d, stack + [m])
        state[m] = "done"

    for m in sorted(graph):
        if m not in state:
            visit(m, [])
    # the cycle issue 11 names is gone: isolate's modules need streams only, not the generator
    for m in ("_isolate", "_isolate_state", "_globals_state", "_derive"):
        assert not graph[m] & {"_generator", "_seeding"}, (m, graph[m])
