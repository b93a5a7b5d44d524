"""The web console's files as the management function serves them (`GET /dashboard...`)."""

from __future__ import annotations

import gzip
import re

import pytest
from fastapi.testclient import TestClient

from aigw_local.dispatch import Dispatcher
from aigw_local.template import REPO_ROOT, load_template

_MARKUP_SINKS = re.compile(r"\.(innerHTML|outerHTML)\s*=|insertAdjacentHTML|document\.write")
DASHBOARD = REPO_ROOT / "functions" / "management" / "dashboard"


def test_index_is_html_with_a_strict_content_security_policy(management: TestClient) -> None:
    resp = management.get("/dashboard")
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("text/html")
    csp = resp.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert resp.headers["cache-control"] == "no-cache"
    assert 'src="dashboard/js/app.js"' in resp.text
    assert "set-cookie" not in resp.headers


def test_every_module_the_page_names_is_served(management: TestClient) -> None:
    for path in sorted(DASHBOARD.rglob("*.js")) + [DASHBOARD / "app.css"]:
        if "vendor" in path.parts:
            continue
        rel = path.relative_to(DASHBOARD).as_posix()
        resp = management.get(f"/dashboard/{rel}")
        assert resp.status_code == 200, rel
        assert resp.content == path.read_bytes()


def test_the_chart_library_comes_from_npm_at_build_time() -> None:
    vendor = DASHBOARD / "vendor"
    assert (vendor / "uPlot.iife.min.js").is_file(), "run `make dashboard-assets`"
    lock = (REPO_ROOT / "functions" / "management" / "package-lock.json").read_text()
    assert '"node_modules/uplot"' in lock and '"integrity"' in lock
    ignored = (REPO_ROOT / ".gitignore").read_text()
    assert "functions/management/dashboard/vendor/" in ignored


def test_gzip_when_accepted_and_etag_revalidation(management: TestClient) -> None:
    resp = management.get("/dashboard/app.css", headers={"Accept-Encoding": "gzip"})
    assert resp.status_code == 200
    assert resp.headers["content-encoding"] == "gzip"
    assert resp.content == (DASHBOARD / "app.css").read_bytes()  # the client decoded it
    etag = resp.headers["etag"]
    again = management.get("/dashboard/app.css", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    plain = management.get("/dashboard/app.css", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
    assert gzip.compress(plain.content)  # same bytes either way


@pytest.mark.parametrize("path", [
    "/dashboard/../management_app.py", "/dashboard/%2e%2e/management_app.py",
    "/dashboard/js/../../management_app.py", "/dashboard/nope.js", "/dashboard/js",
    "/dashboard/package.json", "/dashboard/..%2fMakefile",
])
def test_path_traversal_and_unknown_files_are_404(management: TestClient, path: str) -> None:
    resp = management.get(path)
    assert resp.status_code == 404
    assert resp.json()["success"] is False


def test_trailing_slash_redirects_to_the_one_page_url(management: TestClient) -> None:
    resp = management.get("/dashboard/", follow_redirects=False)
    assert resp.status_code == 308
    assert resp.headers["location"] == "../dashboard"


def test_template_routes_dashboard_to_management_and_builds_its_assets() -> None:
    fn = load_template()["Resources"]["ManagementFunction"]
    paths = {(e["Properties"]["Path"], e["Properties"]["Method"])
             for e in fn["Properties"]["Events"].values()}
    assert {("/dashboard", "GET"), ("/dashboard/{proxy+}", "GET")} <= paths
    assert fn["Metadata"]["BuildMethod"] == "makefile"
    makefile = (REPO_ROOT / "functions" / "management" / "Makefile").read_text()
    assert "build-ManagementFunction:" in makefile and "$(NPM) ci" in makefile


def test_local_mode_sends_dashboard_paths_to_management() -> None:
    apps = Dispatcher(inference=_tag("i"), compat=_tag("c"), management=_tag("m"))
    assert apps.function_for("/dashboard") == "management"
    assert apps.function_for("/dashboard/js/app.js") == "management"
    assert apps.function_for("/dashboards") == "inference"


def _tag(name: str) -> object:
    async def app(scope: object, receive: object, send: object) -> None:
        raise AssertionError(name)
    return app


def test_console_files_never_use_inner_html() -> None:
    """Every API string reaches the page through textContent: no markup injection."""
    for path in DASHBOARD.rglob("*.js"):
        if "vendor" in path.parts:
            continue
        text = path.read_text()
        assert not _MARKUP_SINKS.search(text), path
        assert "eval(" not in text, path

