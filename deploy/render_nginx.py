"""Write deploy/nginx.conf with this machine's paths and ports filled in, on stdout.

    python deploy/render_nginx.py > /etc/nginx/nginx.conf && nginx -t && systemctl reload nginx

Every value has a production default (Debian's nginx package, gunicorn on 127.0.0.1:8000,
this checkout's static/ and instance/media). ``running_nginx`` serves it from a scratch
folder on a free port, for tests/test_deploy.py and bench/ ``faults``.
"""

from __future__ import annotations

import argparse
import getpass
import os
import re
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = Path(__file__).resolve().parent / "nginx.conf"


def render(values: dict[str, str]) -> str:
    text = TEMPLATE.read_text()
    for name, value in values.items():
        text = text.replace(f"@{name.upper()}@", value)
    left = {
        name
        for line in text.splitlines()
        if not line.lstrip().startswith("#")
        for name in re.findall(r"@([A-Z_]+)@", line)
    }
    if left:
        raise ValueError(f"no value for {', '.join(sorted(left))}")
    return text


def nginx_binary() -> str | None:
    """Debian's nginx (in /usr/sbin, not on every user's PATH), or None."""
    return shutil.which("nginx") or next(
        (path for path in ("/usr/sbin/nginx",) if Path(path).exists()), None
    )


@contextmanager
def running_nginx(app: str, media_root: str, folder: Path, listen: str) -> Iterator[None]:
    """nginx from this configuration, in ``folder`` (pid, logs, request bodies), in the
    foreground as a child of this process, in front of gunicorn at ``app`` (HOST:PORT);
    ready when the block starts, stopped after it."""
    for sub in ("logs", "temp"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    conf = folder / "nginx.conf"
    options = {
        "listen": listen,
        "app": app,
        "static_root": str(ROOT / "static"),
        "media_root": media_root,
        "user": getpass.getuser(),
        "pid": str(folder / "nginx.pid"),
        "log_dir": str(folder / "logs"),
        "temp_dir": str(folder / "temp"),
        "mime_types": "/etc/nginx/mime.types",
    }
    conf.write_text(render(options))
    command = [nginx_binary(), "-p", str(folder), "-c", str(conf), "-e", str(folder / "error.log")]
    subprocess.run([*command, "-t", "-q"], check=True)
    process = subprocess.Popen([*command, "-g", "daemon off;"])
    try:
        host, port = listen.rsplit(":", 1)
        # nginx writes nothing when it is ready: its socket accepting is the sign.
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection((host, int(port)), timeout=1).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"nginx did not start; see {folder}/error.log") from None
                time.sleep(0.05)
        yield
    finally:
        process.terminate()
        process.wait(timeout=30)


def main(argv: list[str] | None = None) -> None:
    media = os.environ.get("MEDIA_ROOT") or str(
        Path(os.environ.get("INSTANCE_PATH") or ROOT / "instance") / "media"
    )
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add = parser.add_argument
    add("--listen", default="80", help="address:port or port nginx listens on (80)")
    add("--app", default="127.0.0.1:8000", help="gunicorn's address (HOST:PORT)")
    add("--static-root", default=str(ROOT / "static"), help="the checkout's static/")
    add("--media-root", default=media, help="MEDIA_ROOT (local photos)")
    add("--user", default="www-data", help="the user nginx's workers run as")
    add("--pid", default="/run/nginx.pid")
    add("--log-dir", default="/var/log/nginx")
    add("--temp-dir", default="/var/lib/nginx", help="request bodies waiting for gunicorn")
    add("--mime-types", default="/etc/nginx/mime.types")
    args = parser.parse_args(argv)
    print(render({key: str(value) for key, value in vars(args).items()}), end="")


if __name__ == "__main__":
    main()
