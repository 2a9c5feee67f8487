"""A small WhatsApp Business Cloud API server for tests: the send-message endpoint only.

It answers ``POST /{version}/{phone-number-id}/messages`` the way the Cloud API documents
it, and refuses what the real one refuses:

- no ``Authorization: Bearer <token>`` or another token: 401, error code 190
  (``OAuthException``); another phone number id: 400, code 100;
- a body that is not JSON, ``messaging_product`` other than ``whatsapp``, ``type`` other
  than ``template``, ``to`` that is not a phone number with its country code (digits, an
  optional ``+``, 8-15 digits): 400, code 100 (invalid parameter);
- a template name or language that is not approved (deploy/whatsapp_templates.json, the
  templates the project submits): 404, code 132001 ("Template name does not exist in the
  translation");
- a body component whose text parameters are not as many as the template's ``{{n}}``, an
  empty parameter, or no URL button (index 0) with one text parameter: 400, code 132000
  ("Number of parameters does not match the expected number of params").

What it accepts it records (``server.sent``) and answers as the API does:
``{"messaging_product": "whatsapp", "contacts": [{"input", "wa_id"}], "messages": [{"id":
"wamid.…"}]}``. Not covered: media, interactive and free-form messages, webhooks of
delivery status, rate limits.
"""

from __future__ import annotations

import json
import re
import secrets
import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

TEMPLATES = json.loads(
    (Path(__file__).resolve().parent.parent / "deploy/whatsapp_templates.json").read_text()
)["templates"]
PHONE = re.compile(r"^\+?[1-9][0-9]{7,14}$")


def placeholders(text: str) -> int:
    return len(set(re.findall(r"\{\{(\d+)\}\}", text)))


class CloudApi(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, token: str, phone_number_id: str, version: str = "v21.0"):
        super().__init__(("127.0.0.1", 0), Handler)
        self.token, self.phone_number_id, self.version = token, phone_number_id, version
        self.sent: list[dict] = []
        self.lock = threading.Lock()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class Handler(BaseHTTPRequestHandler):
    server: CloudApi

    def log_message(self, *args):
        pass

    def _answer(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _error(self, status: int, code: int, message: str, kind: str = "OAuthException"):
        self._answer(status, {"error": {"message": message, "type": kind, "code": code}})

    def do_POST(self):
        server = self.server
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.headers.get("Authorization") != f"Bearer {server.token}":
            return self._error(401, 190, "Invalid OAuth access token.")
        if self.path != f"/{server.version}/{server.phone_number_id}/messages":
            return self._error(400, 100, "Unsupported post request.", "GraphMethodException")
        if not self.headers.get("Content-Type", "").startswith("application/json"):
            return self._error(400, 100, "Invalid parameter", "OAuthException")
        try:
            message = json.loads(body)
        except ValueError:
            return self._error(400, 100, "Invalid parameter")
        problem = check(message)
        if problem:
            return self._error(*problem)
        with server.lock:
            number = len(server.sent) + 1
            template = message["template"]
            server.sent.append(
                {
                    "to": message["to"],
                    "template": template["name"],
                    "language": template["language"]["code"],
                    "params": [p["text"] for p in template["components"][0]["parameters"]],
                    "button": template["components"][1]["parameters"][0]["text"],
                }
            )
        wa_id = message["to"].lstrip("+")
        self._answer(
            200,
            {
                "messaging_product": "whatsapp",
                "contacts": [{"input": message["to"], "wa_id": wa_id}],
                "messages": [{"id": f"wamid.TEST{number:06d}"}],
            },
        )


def check(message: dict) -> tuple[int, int, str] | None:
    """What the Cloud API would refuse in this body, as (status, code, message)."""
    if not isinstance(message, dict) or message.get("messaging_product") != "whatsapp":
        return 400, 100, "Invalid parameter: messaging_product"
    if message.get("type") != "template":
        return 400, 100, "Invalid parameter: type"
    if not isinstance(message.get("to"), str) or not PHONE.match(message["to"]):
        return 400, 100, "Invalid parameter: to"
    template = message.get("template")
    if not isinstance(template, dict):
        return 400, 100, "Invalid parameter: template"
    language = (template.get("language") or {}).get("code")
    approved = TEMPLATES.get(template.get("name"), {})
    if language not in approved:
        return 404, 132001, "Template name does not exist in the translation"
    components = template.get("components") or []
    body = next((c for c in components if c.get("type") == "body"), {})
    params = body.get("parameters") or []
    if len(params) != placeholders(approved[language]) or not all(
        p.get("type") == "text" and isinstance(p.get("text"), str) and p["text"].strip()
        for p in params
    ):
        return 400, 132000, "Number of parameters does not match the expected number of params"
    button = next((c for c in components if c.get("type") == "button"), {})
    if (
        button.get("sub_type") != "url"
        or button.get("index") != "0"
        or len(button.get("parameters") or []) != 1
        or button["parameters"][0].get("type") != "text"
    ):
        return 400, 132000, "Number of parameters does not match the expected number of params"
    return None


@contextmanager
def running_cloud_api(phone_number_id: str = "1234567890"):
    """The server on a free loopback port, with an access token of its own."""
    server = CloudApi(secrets.token_urlsafe(24), phone_number_id)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
