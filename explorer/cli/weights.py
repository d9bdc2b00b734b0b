"""`python -m explorer weights list | fetch VARIANT|--all | import FILE`: the published weights,
the Keras cache, and getting files onto an offline machine (a lecture hall) ahead of time."""
from __future__ import annotations

import argparse

from explorer.inference import weights as W


def _status(source) -> str:
    if not W.cached(source):
        return "not cached"
    entry = W.records().get(source.file)
    sha = f", SHA-256 {entry['sha256'][:12]}… ({entry['how']}ed {entry['recorded']})" if entry else ""
    return f"cached{sha}"


def _size(source) -> str:
    entry = W.records().get(source.file)
    return f"{entry['bytes'] / 1e6:.1f} MB (recorded)" if entry else source.size_text


def cmd_list(args) -> int:
    rows = [(s.variant, s.name, s.heads, "—" if s.accuracy is None else f"{s.accuracy.top1:.1f} / {s.accuracy.top5:.1f}",
             _size(s), _status(s)) for s in W.weight_sources()]
    head = ("variant", "source", "trained", "top-1 / top-5 %", "size", "in the cache")
    widths = [max(len(str(r[i])) for r in rows + [head]) for i in range(len(head))]
    for r in [head] + rows:
        print("  ".join(str(v).ljust(w) for v, w in zip(r, widths)).rstrip())
    for variant, why in W.NO_WEIGHTS.items():
        print(f"{variant}: {why}")
    print(f"Keras cache: {W.keras_home() / 'models'} (set KERAS_HOME to move it)")
    return 0


def cmd_fetch(args) -> int:
    if not args.all and not args.variant:
        raise ValueError("name a variant (python -m explorer weights fetch inception_v3) or pass --all. Received: nothing")
    sources = W.weight_sources() if args.all else W.weight_sources(args.variant)
    if args.source:
        sources = [s for s in sources if s.name == args.source]
    if not sources:
        raise ValueError(f"no published weights to fetch for {args.variant}: {W.no_weights_why(args.variant)}. "
                         f"Received: {args.variant}")
    for s in sources:
        print(f"{s.variant} / {s.name}: {s.url}")
        path = W.fetch_weights(s)
        print(f"  ready: {path}")
    return 0


def cmd_import(args) -> int:
    source = W.import_file(args.file)
    entry = W.records()[source.file]
    print(f"Imported {source.title} weights for {source.variant} ({source.heads} trained): "
          f"{W.archive_path(source)}, SHA-256 {entry['sha256']}.")
    print(f"Use them with: python -m explorer predict PHOTO --variant {source.variant} --weights {source.name}")
    return 0


def add_parser(sub) -> None:
    p = sub.add_parser("weights", help="published weights: list, fetch into the Keras cache, import a downloaded file")
    wsub = p.add_subparsers(dest="weights_command", required=True)
    q = wsub.add_parser("list", help="every published source, its size and whether it is cached")
    q.set_defaults(func=cmd_list)
    q = wsub.add_parser("fetch", help="download into the Keras cache (warm it before a lecture)")
    q.add_argument("variant", nargs="?", help="only this variant's sources")
    q.add_argument("--all", action="store_true", help="every published source of every variant")
    q.add_argument("--source", choices=sorted({s.name for s in W.weight_sources()}), help="only this source")
    q.set_defaults(func=cmd_fetch)
    q = wsub.add_parser("import", help="put a file downloaded elsewhere (TF-slim tarball, Keras .h5) into the cache",
                        formatter_class=argparse.RawDescriptionHelpFormatter,
                        description="Offline machines: download the file where there is internet "
                                    "(python -m explorer weights list shows the URLs), copy it over, "
                                    "then import it. Its SHA-256 is recorded and checked on every load.")
    q.add_argument("file", help="the downloaded file: a TF-slim .tar.gz or a Keras .h5")
    q.set_defaults(func=cmd_import)
