"""Write deploy/nginx.conf with this machine's paths and ports filled in, on stdout.

    python deploy/render_nginx.py > /etc/nginx/nginx.conf && nginx -t && systemctl reload nginx

Every value has a production default (Debian's nginx package, gunicorn on 127.0.0.1:8000,
this checkout's static/ and instance/media); the tests render it into a scratch folder.
"""

from __future__ import annotations

import argparse
import os
import re
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
