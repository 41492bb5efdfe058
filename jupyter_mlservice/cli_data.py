"""`mlservice data ...`: data assets from the shell."""

from __future__ import annotations

from .core.errors import MLServiceError


def _client(args):
    from .sdk import MLService

    return MLService(url=args.url, token=args.token)


def _size(n: int | None) -> str:
    if n is None:
        return ""
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if n < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return ""  # pragma: no cover


def _version_row(v: dict) -> dict:
    return {**v, "aliases": ",".join(v.get("aliases") or []), "size": _size(v.get("size_bytes")),
            "digest": (v.get("digest") or "")[:19], "archived": "yes" if v.get("archived") else ""}


def cmd_create(args) -> int:
    from .cli import _emit, _pairs

    if bool(args.path) == bool(args.sql or args.table):
        raise MLServiceError("give PATH (a file, folder or glob) or --sql/--table with --db-url")
    v = _client(args).data.create(
        args.name, args.path, sql=args.sql, table=args.table, url=args.db_url, kind=args.kind, mode=args.mode,
        description=args.description, tags=_pairs(args.tag, "--tag"), force=args.force, profile=not args.no_profile,
        profile_target=args.profile_target,
    )
    what = "already registered as" if v.deduplicated else "registered"
    _emit(args, v.data, f"{what} {v.ref} ({v.kind}, {v.mode}, {_size(v.size_bytes) or 'live'}) {v.digest or ''}".rstrip())
    return 0


def cmd_list(args) -> int:
    from .cli import _emit, _table

    assets = _client(args).data.list(include_archived=args.all)
    rows = [{**a, "aliases": ",".join(f"{k}={v}" for k, v in a["aliases"].items()), "archived": "yes" if a["archived"] else ""} for a in assets]
    columns = ["name", "kind", "latest_version", "version_count", "aliases", "description"] + (["archived"] if args.all else [])
    _emit(args, assets, _table(rows, columns))
    return 0


def cmd_show(args) -> int:
    from .cli import _emit, _table

    ml = _client(args)
    if "@" not in args.ref:
        name = args.ref.removeprefix("data:")
        asset = ml.data.asset(name)
        versions = [v.data for v in ml.data.versions(name)]
        text = f"{asset['name']}  ({asset['kind']})  {asset['description']}\n" + _table(
            [_version_row(v) for v in versions], ["version", "aliases", "mode", "format", "size", "row_count", "digest", "archived"]
        )
        _emit(args, {**asset, "versions": versions}, text)
        return 0
    v = ml.data.get(args.ref).data
    keys = ("ref", "kind", "mode", "status", "path", "source", "url", "format", "digest", "size_bytes", "file_count",
            "row_count", "aliases", "archived", "job_id", "profile_status", "profile_job_id", "description", "created_at")
    text = "\n".join(f"{k:15} {v.get(k)}" for k in keys if v.get(k) not in (None, "", []))
    if v.get("columns"):
        text += "\ncolumns         " + ", ".join(f"{c['name']}:{c['type']}" for c in v["columns"])
    _emit(args, v, text)
    return 0


def cmd_versions(args) -> int:
    from .cli import _emit, _table

    versions = [v.data for v in _client(args).data.versions(args.name)]
    _emit(args, versions, _table([_version_row(v) for v in versions], ["version", "aliases", "mode", "format", "size", "row_count", "digest", "archived", "created_at"]))
    return 0


def cmd_profile(args) -> int:
    from .cli import _emit, _table

    out = _client(args).data.profile(args.ref, wait=not args.no_wait, compute=args.compute, target=args.target)
    prof = out.get("profile") or {}
    if out["status"] != "Ready" or not prof:
        text = f"profile of {out['name']}@{out['version']}: {out['status']} (job {out['job_id']})" + (f": {out['error']}" if out.get("error") else "")
        _emit(args, out, text)
        return 0 if out["status"] != "Failed" else 1
    rows = []
    for c in prof.get("columns", []):
        top = ", ".join(f"{t['value']}({t['count']})" for t in (c.get("top_values") or [])[:3])
        rows.append({"column": c["name"], "type": c["type"], "nulls": c["nulls"], "distinct": c["distinct"],
                     "min": _short(c.get("min")), "mean": _short(c.get("mean")), "max": _short(c.get("max")), "top": top})
    head = f"{out['name']}@{out['version']}: {prof.get('rows', '?')} rows, {prof.get('files')} file(s), {_size(prof.get('bytes'))}"
    _emit(args, out, head + ("\n" + _table(rows, ["column", "type", "nulls", "distinct", "min", "mean", "max", "top"]) if rows else ""))
    return 0


def _short(v) -> str:
    if isinstance(v, float):
        return f"{v:.4g}"
    return "" if v is None else str(v)


def cmd_download(args) -> int:
    path = _client(args).data.download(args.ref, args.dest)
    print(f"downloaded {args.ref} to {path}")
    return 0


def cmd_alias(args) -> int:
    ml = _client(args)
    if args.delete:
        ml.data.delete_alias(args.name, args.alias)
        print(f"removed alias {args.alias} of {args.name}")
        return 0
    if args.version is None:
        raise MLServiceError("give the VERSION the alias points at (or --delete)")
    v = ml.data.set_alias(args.name, args.alias, int(args.version))
    print(f"data:{args.name}@{args.alias} -> version {v.version}")
    return 0


def cmd_archive(args) -> int:
    ml = _client(args)
    version = int(args.version) if args.version is not None else None
    (ml.data.restore if args.restore else ml.data.archive)(args.name, version)
    what = f"{args.name}@{version}" if version is not None else args.name
    print(f"{'restored' if args.restore else 'archived'} {what}")
    return 0


def cmd_lineage(args) -> int:
    from .cli import _emit

    lin = _client(args).data.lineage(args.ref)
    lines = [lin["version"]["ref"]]
    for key in ("produced_by", "jobs", "models", "deployments", "derived_data"):
        if lin[key]:
            lines.append(f"  {key.replace('_', ' '):12} " + ", ".join(n["id"] for n in lin[key]))
    _emit(args, lin, "\n".join(lines))
    return 0


def register(sub, common, reader) -> None:
    d = sub.add_parser("data", help="data assets").add_subparsers(dest="cmd", required=True)
    p = d.add_parser("create", parents=[common, reader], help="register a new version of a file, folder, glob or SQL table")
    p.add_argument("name")
    p.add_argument("path", nargs="?", help="a file, folder or glob on the server (relative to its root)")
    p.add_argument("--sql", help="a query (with --url): a table asset")
    p.add_argument("--table", help="a database table (with --url)")
    p.add_argument("--db-url", dest="db_url", help="SQLAlchemy URL of the database (--url is the server's)")
    p.add_argument("--kind", choices=["file", "folder", "table"])
    p.add_argument("--mode", choices=["copy", "reference", "snapshot", "live"])
    p.add_argument("--description", default="")
    p.add_argument("--tag", action="append", default=[], metavar="KEY=VALUE")
    p.add_argument("--force", action="store_true", help="a new version even when the content is identical")
    p.add_argument("--no-profile", action="store_true", help="do not compute the profile")
    p.add_argument("--profile-target", default="local")
    p.set_defaults(func=cmd_create)
    p = d.add_parser("list", parents=[common, reader])
    p.add_argument("--all", action="store_true", help="include archived assets")
    p.set_defaults(func=cmd_list)
    p = d.add_parser("show", parents=[common, reader], help="an asset (NAME) or a version (NAME@V, NAME@ALIAS)")
    p.add_argument("ref")
    p.set_defaults(func=cmd_show)
    p = d.add_parser("versions", parents=[common, reader])
    p.add_argument("name")
    p.set_defaults(func=cmd_versions)
    p = d.add_parser("profile", parents=[common, reader], help="a version's profile (waits for its job)")
    p.add_argument("ref")
    p.add_argument("--compute", action="store_true", help="run the profile job again")
    p.add_argument("--target", default="local", help="target of the profile job (with --compute)")
    p.add_argument("--no-wait", action="store_true")
    p.set_defaults(func=cmd_profile)
    p = d.add_parser("download", parents=[common])
    p.add_argument("ref")
    p.add_argument("dest", nargs="?", default=".")
    p.set_defaults(func=cmd_download)
    p = d.add_parser("alias", parents=[common], help="point ALIAS at VERSION (or --delete it)")
    p.add_argument("name")
    p.add_argument("alias")
    p.add_argument("version", nargs="?")
    p.add_argument("--delete", action="store_true")
    p.set_defaults(func=cmd_alias)
    p = d.add_parser("archive", parents=[common], help="archive a version (or the asset); records and content are kept")
    p.add_argument("name")
    p.add_argument("version", nargs="?")
    p.add_argument("--restore", action="store_true", help="undo an archive")
    p.set_defaults(func=cmd_archive)
    p = d.add_parser("lineage", parents=[common, reader], help="jobs, models and deployments made from a version")
    p.add_argument("ref")
    p.set_defaults(func=cmd_lineage)
