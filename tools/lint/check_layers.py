#!/usr/bin/env python3
"""Checks that libcasevault's layers only depend downward (docs/internals.md).

Rules, over core/<layer>/*.{c,h}:
  1. an #include of another layer's header must point to a lower layer;
     layers of the same rank may not include each other (cycles only inside
     one folder);
  2. a function declared in a layer's header is defined in that layer (so a
     header cannot smuggle in a call upward);
  3. no .c file declares a non-static function of another file (prototypes
     live in the module's header, once);
and outside the library:
  4. the command line (tools/casevault) and the web service (tools/serve)
     include only the public API, their own headers and tools/common/, which
     includes only the public API;
  5. plugins include only the public API and the static util library.
Exit status 1 lists every violation, 0 prints a one-line summary.
Usage: check_layers.py [SOURCE_DIR]
"""
import os
import re
import sys

# Lower rank = lower layer. Same rank: independent siblings.
RANKS = {
    "util": 0, "crypto": 1, "pages": 1, "store": 2, "catalog": 2, "journal": 3, "engine": 4, "mirror": 5, "records": 5,
    "ingest": 6, "plugin": 7, "export": 8, "retention": 9, "rights": 9, "origins": 9, "verify": 9,
}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
# A function declaration or definition at file scope: "type name(args)" ending in ";" or "{".
FUNC = re.compile(r'^(?!static\b)(?:CV_EXTERN\([^)]*\)\s*|[A-Za-z_][\w \t\*]*?[\s\*])(cv_?_?\w+)\s*\(([^;{)]|\([^)]*\))*\)\s*'
                  r'(?:__attribute__\(\([^)]*\)\)\s*)?([;{])', re.M)


def strip_comments(s):
    s = re.sub(r"/\*.*?\*/", lambda m: "\n" * m.group(0).count("\n"), s, flags=re.S)
    return re.sub(r"//[^\n]*", "", s)


def sources(top, sub, exts=(".c", ".h")):
    for root, _, files in os.walk(os.path.join(top, sub)):
        for f in sorted(files):
            if f.endswith(exts):
                yield os.path.join(root, f)


def main():
    top = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", ".."))
    core = os.path.join(top, "core")
    errors = []
    defined, declared = {}, {}
    edges = 0
    for path in sources(top, "core"):
        rel = os.path.relpath(path, core)
        layer = rel.split(os.sep)[0]
        if layer not in RANKS:
            if os.sep in rel:
                errors.append(f"{rel}: folder '{layer}' is not a known layer (add it to RANKS and docs/internals.md)")
            elif path.endswith((".c", ".h")):
                errors.append(f"{rel}: library sources live in a layer folder, not at core/ top level")
            continue
        text = strip_comments(open(path, encoding="utf-8").read())
        for inc in INCLUDE.findall(text):
            target = inc.split("/")[0]
            if target not in RANKS or "/" not in inc:
                continue
            edges += 1
            if target != layer and RANKS[target] >= RANKS[layer]:
                errors.append(f"{rel}: includes {inc}: {layer} (rank {RANKS[layer]}) may not depend on {target} "
                              f"(rank {RANKS[target]})")
        for m in FUNC.finditer(text):
            name, end = m.group(1), m.group(3)
            if end == "{":
                defined.setdefault(name, layer)
            elif path.endswith(".h"):
                declared.setdefault(name, []).append((layer, rel))
            else:
                errors.append(f"{rel}: declares {name}() itself; include the header of the module that defines it")
    for name, where in sorted(declared.items()):
        if len(where) > 1:
            errors.append(f"{name}() is declared in {len(where)} headers ({', '.join(r for _, r in where)}): keep one")
        for layer, rel in where:
            if name.startswith("cv__") and name in defined and defined[name] != layer:
                errors.append(f"{rel}: declares {name}(), which is defined in layer {defined[name]}: move the "
                              f"prototype to a header of {defined[name]}/")
    # The programs over the library: the command line, the web service and
    # the JSON objects they share see the public API, their own folder's
    # headers and tools/common/ (which itself sees only the public API).
    for tool, others in (("casevault", ("common", "serve")), ("serve", ("common",)), ("common", ())):
        here = os.path.join(top, "tools", tool)
        for path in sources(top, os.path.join("tools", tool)):
            for inc in INCLUDE.findall(strip_comments(open(path, encoding="utf-8").read())):
                if inc.startswith("casevault") or os.path.exists(os.path.join(here, inc)) or \
                        any(os.path.exists(os.path.join(top, "tools", o, inc)) for o in others):
                    continue
                errors.append(f"{os.path.relpath(path, top)}: includes \"{inc}\": tools/{tool} uses only the public API"
                              f"{' and tools/common/' if others else ''}")
    for path in sources(top, "plugins"):
        here = os.path.dirname(path)
        for inc in INCLUDE.findall(strip_comments(open(path, encoding="utf-8").read())):
            if inc.startswith("casevault") or inc.startswith("util/") or os.path.exists(os.path.join(here, inc)) \
                    or os.path.exists(os.path.join(os.path.dirname(here), inc)):
                continue
            if os.sep + "tests" + os.sep in path and os.path.exists(os.path.join(top, "tests", "support", inc)):
                continue  # a plugin's own tests may use the tests' fake host
            errors.append(f"{os.path.relpath(path, top)}: includes \"{inc}\": plugins see only the public API and util/")
    if errors:
        print("layer check failed:\n  " + "\n  ".join(errors), file=sys.stderr)
        return 1
    print(f"layer check: {len(RANKS)} layers, {edges} cross-file includes, all pointing down")
    return 0


if __name__ == "__main__":
    sys.exit(main())
