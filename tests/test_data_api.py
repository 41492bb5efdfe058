"""The data asset and lineage REST routes inside a real Jupyter server (auth enforced; every route
requiring auth is checked by test_handlers.py over the whole OpenAPI document)."""

from __future__ import annotations

import asyncio
import hashlib

from .test_handlers import call, expect_error


def _iris(root):
    (root / "d").mkdir(exist_ok=True)
    text = "a,b,label\n" + "".join(f"{i},{i * 0.5},{'xy'[i % 2]}\n" for i in range(50))
    (root / "d" / "t.csv").write_text(text)
    return text.encode()


async def test_register_read_and_change_data_over_rest(jp_fetch, jp_root_dir):
    content = _iris(jp_root_dir)
    v = await call(jp_fetch, "POST", "/data", {"name": "t", "path": "d/t.csv", "description": "tiny", "profile": False})
    assert (v["ref"], v["kind"], v["mode"], v["status"]) == ("data:t@1", "file", "copy", "Ready")
    assert v["digest"] == "sha256:" + hashlib.sha256(content).hexdigest()
    # identical content: 200 with the existing version
    resp = await jp_fetch("mlservice", "api", "data", method="POST", body='{"name": "t", "path": "d/t.csv", "profile": false}')
    assert resp.code == 200 and b'"deduplicated":true' in resp.body
    forced = await call(jp_fetch, "POST", "/data", {"name": "t", "path": "d/t.csv", "force": True, "profile": False})
    assert forced["version"] == 2
    assert (await call(jp_fetch, "GET", "/data/resolve", params={"ref": "t"}))["version"] == 2
    assert (await call(jp_fetch, "GET", "/data/resolve", params={"ref": "data:t@1"}))["version"] == 1
    asset = await call(jp_fetch, "GET", "/data/t")
    assert (asset["latest_version"], asset["version_count"], asset["description"]) == (2, 2, "tiny")
    assert (await call(jp_fetch, "PATCH", "/data/t", {"tags": {"owner": "me"}}))["tags"] == {"owner": "me"}
    aliased = await call(jp_fetch, "PUT", "/data/t/aliases/prod", {"version": 1})
    assert aliased["aliases"] == ["prod"]
    assert (await call(jp_fetch, "GET", "/data/resolve", params={"ref": "t@prod"}))["version"] == 1
    page = await call(jp_fetch, "GET", "/data/t/versions", params={"limit": 1})
    rest = await call(jp_fetch, "GET", "/data/t/versions", params={"limit": 1, "cursor": page["next_cursor"]})
    assert [x["version"] for x in page["items"] + rest["items"]] == [2, 1] and rest["next_cursor"] is None
    archived = await call(jp_fetch, "PATCH", "/data/t/versions/2", {"archived": True})
    assert archived["archived"] is True
    assert (await call(jp_fetch, "GET", "/data/t"))["latest_version"] == 1
    live = await call(jp_fetch, "GET", "/data/t/versions", params={"include_archived": "false"})
    assert [x["version"] for x in live["items"]] == [1]
    await call(jp_fetch, "DELETE", "/data/t/aliases/prod")
    listing = await call(jp_fetch, "GET", "/data")
    assert [a["name"] for a in listing["items"]] == ["t"]
    # files and download, streamed
    files = await call(jp_fetch, "GET", "/data/t/versions/1/files")
    assert files["items"] == [{"path": "t.csv", "size": len(content), "sha256": hashlib.sha256(content).hexdigest()}]
    got = await jp_fetch("mlservice", "api", "data", "t", "versions", "1", "files", "download", params={"path": "t.csv"})
    assert got.body == content and got.headers["Content-Type"] == "application/octet-stream"


async def test_bad_requests_get_4xx_saying_what_to_change(jp_fetch, jp_root_dir):
    _iris(jp_root_dir)
    for body, status, words in [
        ({"name": "has space", "path": "d/t.csv"}, 400, "data asset name 'has space' is not valid"),
        ({"name": "x", "path": "nope/missing.csv"}, 400, "path 'nope/missing.csv' does not exist on the server"),
        ({"name": "x"}, 400, "give either path"),
        ({"name": "x", "path": "d/t.csv", "bogus": 1}, 400, "bogus"),
        ({"name": "x", "sql": "select * from ghost", "url": f"sqlite:///{jp_root_dir / 'w.db'}"}, 400, "no such table: ghost"),
        ({"name": "x", "path": "d/t.csv", "profile_target": "gpu"}, 400, "profile target 'gpu' is not a compute target"),
    ]:
        err = await expect_error(jp_fetch, status, "POST", "/data", body)
        assert words in err["message"], err
    await expect_error(jp_fetch, 404, "GET", "/data/ghost")
    await expect_error(jp_fetch, 404, "GET", "/data/resolve", params={"ref": "ghost@3"})
    err = await expect_error(jp_fetch, 400, "GET", "/data/resolve", params={"ref": "bad ref!"})
    assert "is not a data reference" in err["message"]
    await call(jp_fetch, "POST", "/data", {"name": "ok", "path": "d/t.csv", "profile": False})
    err = await expect_error(jp_fetch, 400, "GET", "/data/ok/versions/one")
    assert "version must be a number" in err["message"]
    await expect_error(jp_fetch, 404, "GET", "/data/ok/versions/9")
    await expect_error(jp_fetch, 404, "PUT", "/data/ok/aliases/prod", {"version": 9})
    err = await expect_error(jp_fetch, 400, "PUT", "/data/ok/aliases/9lives", {"version": 1})
    assert "alias '9lives' is not valid" in err["message"]
    await expect_error(jp_fetch, 404, "DELETE", "/data/ok/aliases/none")
    await expect_error(jp_fetch, 404, "GET", "/data/ok/versions/1/profile")
    await expect_error(jp_fetch, 404, "GET", "/data/ok/versions/1/files/download", params={"path": "other.csv"})
    await expect_error(jp_fetch, 400, "GET", "/data", params={"include_archived": "perhaps"})
    err = await expect_error(jp_fetch, 400, "GET", "/lineage", params={"type": "job"})
    assert "give type" in err["message"]
    err = await expect_error(jp_fetch, 400, "GET", "/lineage", params={"type": "job", "id": "x", "direction": "sideways"})
    assert "direction must be" in err["message"]
    err = await expect_error(jp_fetch, 400, "POST", "/jobs", {"kind": "command", "command": "true", "inputs": {"x": "data:ghost"}})
    assert "inputs.x: no data asset named 'ghost'" in err["message"]


async def test_profile_job_and_lineage_over_rest(jp_fetch, jp_root_dir):
    _iris(jp_root_dir)
    v = await call(jp_fetch, "POST", "/data", {"name": "p", "path": "d/t.csv"})
    assert v["profile_status"] == "Queued"
    job = await call(jp_fetch, "GET", f"/jobs/{v['profile_job_id']}/wait", params={"timeout": 120})
    assert job["status"] == "Completed"
    for _ in range(600):
        prof = await call(jp_fetch, "GET", "/data/p/versions/1/profile")
        if prof["status"] != "Queued":
            break
        await asyncio.sleep(0.1)
    assert prof["status"] == "Ready", prof
    assert prof["profile"]["rows"] == 50 and [c["name"] for c in prof["profile"]["columns"]] == ["a", "b", "label"]
    again = await call(jp_fetch, "POST", "/data/p/versions/1/profile", {"target": "local"})
    assert again["status"] == "Queued" and again["job_id"] != v["profile_job_id"]
    used = await call(jp_fetch, "POST", "/jobs", {"kind": "command", "command": "head -1 ${{inputs.t}}", "inputs": {"t": "data:p@1"}})
    assert (await call(jp_fetch, "GET", f"/jobs/{used['id']}/wait", params={"timeout": 120}))["status"] == "Completed"
    lin = await call(jp_fetch, "GET", "/data/p/versions/1/lineage")
    assert [n["id"] for n in lin["jobs"]] == [used["id"]] and lin["jobs"][0]["details"]["status"] == "Completed"
    graph = await call(jp_fetch, "GET", "/lineage", params={"type": "job", "id": used["id"], "direction": "upstream"})
    assert [(n["type"], n["id"]) for n in graph["nodes"]] == [("job", used["id"]), ("data_version", "p@1")]
    assert graph["edges"][0]["relation"] == "input" and graph["edges"][0]["attrs"]["input"] == "t"
