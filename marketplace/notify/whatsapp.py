"""WhatsApp through the WhatsApp Business Cloud API: approved message templates.

``POST {WHATSAPP_API_BASE}/{WHATSAPP_API_VERSION}/{WHATSAPP_PHONE_NUMBER_ID}/messages``
with ``Authorization: Bearer {WHATSAPP_TOKEN}`` and a JSON body of ``type`` ``template``:
a message a business starts must be a template Meta approved, in the recipient's
language, its ``{{1}}``… filled by the body parameters. The answer names the message
(``messages[0].id``, a ``wamid.…``); an error answers ``{"error": {"message", "code"}}``.
"""

from __future__ import annotations

import requests
from flask import current_app

#: The template language codes the templates are approved in, per site locale.
TEMPLATE_LANGUAGES = {"id": "id", "en": "en"}


class WhatsAppError(RuntimeError):
    """The Cloud API refused the message or could not be reached."""


def message_body(to: str, template: str, locale: str, params: list[str], path: str) -> dict:
    """The request body of one template message (``to``: digits with the country code).

    Every template has a URL button ``{SITE_URL}/{{1}}`` (deploy/whatsapp_templates.json);
    ``path`` fills it, so the button opens the thing itself.
    """
    return {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": to.lstrip("+"),
        "type": "template",
        "template": {
            "name": template,
            "language": {"code": TEMPLATE_LANGUAGES.get(locale, "id")},
            "components": [
                {
                    "type": "body",
                    "parameters": [{"type": "text", "text": text} for text in params],
                },
                {
                    "type": "button",
                    "sub_type": "url",
                    "index": "0",
                    "parameters": [{"type": "text", "text": path.lstrip("/")}],
                },
            ],
        },
    }


def send_template(to: str, template: str, locale: str, params: list[str], path: str) -> str:
    """Send one template message; the id the Cloud API gave it."""
    config = current_app.config
    url = "{}/{}/{}/messages".format(
        config["WHATSAPP_API_BASE"].rstrip("/"),
        config["WHATSAPP_API_VERSION"],
        config["WHATSAPP_PHONE_NUMBER_ID"],
    )
    try:
        response = requests.post(
            url,
            json=message_body(to, template, locale, params, path),
            headers={"Authorization": f"Bearer {config['WHATSAPP_TOKEN']}"},
            timeout=20,
        )
    except requests.RequestException as error:
        raise WhatsAppError(str(error)) from None
    try:
        answer = response.json()
    except ValueError:
        answer = {}
    if response.status_code != 200:
        detail = answer.get("error", {}) if isinstance(answer, dict) else {}
        raise WhatsAppError(
            f"{response.status_code} {detail.get('code', '')} {detail.get('message', '')}"
        )
    return answer["messages"][0]["id"]
