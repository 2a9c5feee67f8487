"""Where a signed-in page's time goes under gunicorn, sampled (issue 23, point 2).

    .venv/bin/pip install -e '.[profile]'      # py-spy, once
    .venv/bin/python -m bench.sample_signed_in PAGE [SECONDS]

The data set of ``bench/profile_signed_in.py`` (built once into ``$PROFILE_DB_DIR``), served
as ``signed_in`` serves it (``bench/floor_app.py`` under gunicorn, two workers); the load
generator asks for one page (``empty_page`` or a page of ``signed_in``) with its role's
cookie while py-spy samples both workers. Prints the share of the workers' samples spent
in each function, callees included (``TOP``, default 45; ``SELF=1``: the functions' own
time only). What cProfile gets wrong here, sampling does not: the profiler's own cost per
call is not counted, so a function of many small calls shows its real weight.
"""

from __future__ import annotations

import collections
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from bench import load
from bench.common import gunicorn, instance_env, log
from bench.profile_signed_in import build_or_reuse
from bench.rounds import server_master
from bench.signed_in import EMPTY_PAGE, EMPTY_PATH, _headers, _settle

#: samples a second
RATE = 250


#: the frame of a sync worker's request, from its parsing to its closing
REQUEST_FRAME = "SyncWorker.handle"


def shares(raw: Path, own_time: bool) -> tuple[int, collections.Counter]:
    """py-spy's collapsed stacks (``--format raw``): the samples taken in a request, and per
    function the samples it was on the stack (once per stack) or at its top."""
    found: collections.Counter = collections.Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _space, count = line.rpartition(" ")
        frames = [frame.split(" (", 1)[0] for frame in stack.split(";")]
        if not count.isdecimal() or REQUEST_FRAME not in frames:
            continue
        frames = frames[frames.index(REQUEST_FRAME) :]
        total += int(count)
        for name in [frames[-1]] if own_time else set(frames):
            found[name] += int(count)
    return total, found


def main(page: str, seconds: float) -> None:
    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(spy).exists():
        raise SystemExit("py-spy is not installed: .venv/bin/pip install -e '.[profile]'")
    folder, paths, cookies, name = build_or_reuse()
    role, path = ("seller", EMPTY_PATH) if page == EMPTY_PAGE else paths[page]
    with gunicorn("bench.floor_app:app", instance_env(folder), 2) as site:
        cookie = _settle(site, {page: (role, path)}, cookies, name)[role]
        out = Path(tempfile.mkdtemp(prefix="sample-")) / "stacks.txt"
        command = [spy, "record", "--pid", str(server_master(site)), "--subprocesses"]
        command += ["--format", "raw", "--rate", str(RATE), "--nonblocking"]
        command += ["--duration", str(int(seconds)), "--output", str(out)]
        sampler = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        measured = load.run(site + path, seconds + 1, _headers(name, cookie))
        _output, errors = sampler.communicate(timeout=seconds + 60)
        if not out.exists():
            raise SystemExit(f"py-spy recorded nothing: {errors.decode(errors='replace')}")
    log(f"sample: {page} {path}, {measured['rps']} req/s under the sampler")
    total, found = shares(out, own_time=bool(os.environ.get("SELF")))
    print(f"{total} samples in requests")
    for function, count in found.most_common(int(os.environ.get("TOP", "45"))):
        print(f"{100 * count / total:5.1f}%  {function}")
    shutil.rmtree(out.parent)


if __name__ == "__main__":
    if len(sys.argv) < 2:
        print(__doc__)
        raise SystemExit(2)
    main(sys.argv[1], float(sys.argv[2]) if len(sys.argv) > 2 else 12.0)
