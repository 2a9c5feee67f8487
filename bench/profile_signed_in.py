"""In-process cost of each signed-in page at a household's scale (issue 23, point 2).

    .venv/bin/python -m bench.profile_signed_in [page ...]

Builds the grown SQLite database once as ``bench/signed_in.py``'s ``_build`` does (kept in
``$PROFILE_DB_DIR``, default a folder under the system's temporary one, and reused while it
exists), signs each role in with its cookie, then times 200 requests per page with
``time.process_time`` (best of 3). ``DUMP=folder`` writes each page's HTML there;
``PROFILE=1`` adds a cProfile listing (``SORT``, ``N``).
"""

from __future__ import annotations

import cProfile
import json
import os
import pstats
import re
import sys
import tempfile
import time
from pathlib import Path

from bench.common import SECRET_KEY
from bench.signed_in import EMPTY_PAGE, EMPTY_PATH, USER_AGENT, _build, add_empty_page


def build_or_reuse() -> tuple[Path, dict, dict, str]:
    """The grown database's folder (``$PROFILE_DB_DIR``), each page's (role, path), each
    role's cookie and the cookie's name: built once, then read back while it exists."""
    folder = Path(os.environ.get("PROFILE_DB_DIR", Path(tempfile.gettempdir()) / "signed_in_prof"))
    saved = folder / "build.json"
    if saved.exists():
        paths, cookies, name = json.loads(saved.read_text())
    else:
        (folder / "media").mkdir(parents=True, exist_ok=True)
        paths, cookies, _reached, _statements, name = _build(folder)
        saved.write_text(json.dumps([paths, cookies, name]))
    return folder, paths, cookies, name


def main(pages: list[str]) -> None:
    folder, paths, cookies, name = build_or_reuse()
    from bench.common import instance_env
    from marketplace import create_app
    from marketplace.extensions import limiter

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": instance_env(folder)["DATABASE_URL"],
            "MEDIA_ROOT": str(folder / "media"),
            "SECRET_KEY": SECRET_KEY,
            "SERVER_NAME": None,
        }
    )
    limiter.enabled = False
    add_empty_page(app)  # the ceiling beside the pages, as ``signed_in`` measures it
    paths = {EMPTY_PAGE: ("seller", EMPTY_PATH), **paths}
    headers = {"User-Agent": USER_AGENT, "Accept-Encoding": "gzip"}
    rounds = int(os.environ.get("REQUESTS", "200"))
    for page in pages or list(paths):
        role, path = paths[page]
        client = app.test_client()
        client.set_cookie(name, cookies[role])
        for _ in range(20):
            answer = client.get(path, headers=headers)
            assert answer.status_code == 200, (path, answer.status_code)
        if os.environ.get("DUMP"):
            # Each page's HTML, to compare before and after a change (CSRF tokens vary).
            body = client.get(path).get_data(as_text=True)
            body = re.sub(r'(name="csrf_token"[^>]*value=|value=)"[\w.-]{60,}"', r'\1"…"', body)
            (Path(os.environ["DUMP"]) / f"{page}.html").write_text(body)
        best = 1e9
        for _ in range(3):
            started = time.process_time()
            for _ in range(rounds):
                client.get(path, headers=headers)
            best = min(best, (time.process_time() - started) / rounds)
        print(f"{page:18} {best * 1000:6.2f} ms  {path}", flush=True)
        if os.environ.get("PROFILE"):
            profile = cProfile.Profile()
            profile.enable()
            for _ in range(rounds):
                client.get(path, headers=headers)
            profile.disable()
            stats = pstats.Stats(profile)
            stats.sort_stats(os.environ.get("SORT", "cumulative"))
            stats.print_stats(int(os.environ.get("N", "45")))


if __name__ == "__main__":
    main(sys.argv[1:])
