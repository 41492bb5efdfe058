"""`mlservice data ...`: data assets from the shell."""

from __future__ import annotations

from ..errors import UsageError
from .common import alias_command, client, command, emit, group, pairs, table


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
    if bool(args.path) == bool(args.sql or args.table):
        raise UsageError("give PATH (a file, folder or glob) or --sql/--table with --db-url")
    v = client(args).data.create(
        args.name, args.path, sql=args.sql, table=args.table, url=args.db_url, kind=args.kind, mode=args.mode,
        description=args.description, tags=pairs(args.tag, "--tag"), force=args.force, profile=not args.no_profile,
        profile_target=args.profile_target,
    )
    what = "already registered as" if v.deduplicated else "registered"
    emit(args, v.data, f"{what} {v.ref} ({v.kind}, {v.mode}, {_size(v.size_bytes) or 'live'}) {v.digest or ''}".rstrip())
    return 0


def cmd_list(args) -> int:
    assets = client(args).data.list(include_archived=args.all)
    rows = [{**a, "aliases": ",".join(f"{k}={v}" for k, v in a["aliases"].items()), "archived": "yes" if a["archived"] else ""} for a in assets]
    columns = ["name", "kind", "latest_version", "version_count", "aliases", "description"] + (["archived"] if args.all else [])
    emit(args, assets, table(rows, columns))
    return 0


def cmd_show(args) -> int:
    ml = client(args)
    if "@" not in args.ref:
        name = args.ref.removeprefix("data:")
        asset = ml.data.asset(name)
        versions = [v.data for v in ml.data.versions(name)]
        text = f"{asset['name']}  ({asset['kind']})  {asset['description']}\n" + table(
            [_version_row(v) for v in versions], ["version", "aliases", "mode", "format", "size", "row_count", "digest", "archived"]
        )
        emit(args, {**asset, "versions": versions}, text)
        return 0
    v = ml.data.get(args.ref).data
    keys = ("ref", "kind", "mode", "status", "path", "source", "url", "format", "digest", "size_bytes", "file_count",
            "row_count", "aliases", "archived", "job_id", "profile_status", "profile_job_id", "description", "created_at")
    text = "\n".join(f"{k:15} {v.get(k)}" for k in keys if v.get(k) not in (None, "", []))
    if v.get("columns"):
        text += "\ncolumns         " + ", ".join(f"{c['name']}:{c['type']}" for c in v["columns"])
    emit(args, v, text)
    return 0


def cmd_versions(args) -> int:
    versions = [v.data for v in client(args).data.versions(args.name)]
    emit(args, versions, table([_version_row(v) for v in versions], ["version", "aliases", "mode", "format", "size", "row_count", "digest", "archived", "created_at"]))
    return 0


def cmd_profile(args) -> int:
    out = client(args).data.profile(args.ref, wait=not args.no_wait, compute=args.compute, target=args.target)
    prof = out.get("profile") or {}
    if out["status"] != "Ready" or not prof:
        text = f"profile of {out['name']}@{out['version']}: {out['status']} (job {out['job_id']})" + (f": {out['error']}" if out.get("error") else "")
        emit(args, out, text)
        return 0 if out["status"] != "Failed" else 1
    rows = []
    for c in prof.get("columns", []):
        top = ", ".join(f"{t['value']}({t['count']})" for t in (c.get("top_values") or [])[:3])
        rows.append({"column": c["name"], "type": c["type"], "nulls": c["nulls"], "distinct": c["distinct"],
                     "min": _short(c.get("min")), "mean": _short(c.get("mean")), "max": _short(c.get("max")), "top": top})
    head = f"{out['name']}@{out['version']}: {prof.get('rows', '?')} rows, {prof.get('files')} file(s), {_size(prof.get('bytes'))}"
    emit(args, out, head + ("\n" + table(rows, ["column", "type", "nulls", "distinct", "min", "mean", "max", "top"]) if rows else ""))
    return 0


def _short(v) -> str:
    if isinstance(v, float):
        return f"{v:.4g}"
    return "" if v is None else str(v)


def cmd_download(args) -> int:
    path = client(args).data.download(args.ref, args.dest)
    print(f"downloaded {args.ref} to {path}")
    return 0


def cmd_archive(args) -> int:
    ml = client(args)
    version = int(args.version) if args.version is not None else None
    (ml.data.restore if args.restore else ml.data.archive)(args.name, version)
    what = f"{args.name}@{version}" if version is not None else args.name
    print(f"{'restored' if args.restore else 'archived'} {what}")
    return 0


def cmd_lineage(args) -> int:
    lin = client(args).data.lineage(args.ref)
    lines = [lin["version"]["ref"]]
    for key in ("produced_by", "jobs", "models", "deployments", "derived_data"):
        if lin[key]:
            lines.append(f"  {key.replace('_', ' '):12} " + ", ".join(n["id"] for n in lin[key]))
    emit(args, lin, "\n".join(lines))
    return 0


def register(sub) -> None:
    d = group(sub, "data", "data assets")
    p = command(d, "create", cmd_create, json=True, help="register a new version of a file, folder, glob or SQL table")
    p.add_argument("name")
    p.add_argument("path", nargs="?", help="a file, folder or glob on the server (relative to its root)")
    p.add_argument("--sql", help="a query (with --db-url): a table asset")
    p.add_argument("--table", help="a database table (with --db-url)")
    p.add_argument("--db-url", dest="db_url", help="SQLAlchemy URL of the database (--url is the server's)")
    p.add_argument("--kind", choices=["file", "folder", "table"])
    p.add_argument("--mode", choices=["copy", "reference", "snapshot", "live"])
    p.add_argument("--description", default="")
    p.add_argument("--tag", action="append", default=[], metavar="KEY=VALUE")
    p.add_argument("--force", action="store_true", help="a new version even when the content is identical")
    p.add_argument("--no-profile", action="store_true", help="do not compute the profile")
    p.add_argument("--profile-target", default="local")
    command(d, "list", cmd_list, json=True).add_argument("--all", action="store_true", help="include archived assets")
    command(d, "show", cmd_show, json=True, help="an asset (NAME) or a version (NAME@V, NAME@ALIAS)").add_argument("ref")
    command(d, "versions", cmd_versions, json=True).add_argument("name")
    p = command(d, "profile", cmd_profile, json=True, help="a version's profile (waits for its job)")
    p.add_argument("ref")
    p.add_argument("--compute", action="store_true", help="run the profile job again")
    p.add_argument("--target", default="local", help="target of the profile job (with --compute)")
    p.add_argument("--no-wait", action="store_true")
    p = command(d, "download", cmd_download)
    p.add_argument("ref")
    p.add_argument("dest", nargs="?", default=".")
    alias_command(d, "data", "data:")
    p = command(d, "archive", cmd_archive, help="archive a version (or the asset); records and content are kept")
    p.add_argument("name")
    p.add_argument("version", nargs="?")
    p.add_argument("--restore", action="store_true", help="undo an archive")
    command(d, "lineage", cmd_lineage, json=True, help="jobs, models and deployments made from a version").add_argument("ref")
