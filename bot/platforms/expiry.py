"""When a network says an access token ends: the answer bot.tokens counts a token's days from.

What was verified, read 2026-12 with the search tool:
- Threads: `GET /debug_token?input_token=<token>` (developers.facebook.com/documentation/threads/reference/debug
  and ".../troubleshooting/debug-access-token", updated 2025-06-04), with the caller's token (`access_token`,
  "a Threads tester's user access token" of the same app; the bot sends the account's own token, as a Bearer
  header like every other call: bot.networks.threads says why). Its answer: `{"data": {"type", "application",
  "data_access_expires_at", "expires_at", "is_valid", "issued_at", "scopes", "user_id"}}`, times in Unix
  seconds. A profile that is no tester of the app is refused: the keeper then counts from first sight.
- LinkedIn: `POST https://www.linkedin.com/oauth/v2/introspectToken`, form-encoded `client_id`,
  `client_secret` and `token`, all required (learn.microsoft.com/linkedin/shared/authentication/
  token-introspection). Its answer: `active`, `status` (active, expired, revoked), `expires_at` (Unix
  seconds), `created_at`, `authorized_at`, `scope`, `auth_type`, `client_id`. It needs the app's client id
  and secret, which an account does not have today (bot.networks.linkedin).
Each answer is asked through a RestSession (bounded, never naming a URL), and what a network sends back is
redacted of the token before it is quoted.
"""

from __future__ import annotations

from typing import Any

from bot.errors import RejectedError
from bot.platforms.rest import RestSession
from bot.redact import Redactor
from bot.tokens import Ask

LINKEDIN_API_URL = "https://api.linkedin.com"
LINKEDIN_INTROSPECT = "https://www.linkedin.com/oauth/v2/introspectToken"


def threads_ask(api_url: str, account: str) -> Ask:
    """Threads' debug_token for the account's own token, under its API base URL."""

    def ask(token: str) -> tuple[float, str] | None:
        rest = RestSession(api_url, platform=account, what="Threads", hint="check the network")
        try:
            answer = rest.call("GET", "debug_token", headers={"Authorization": f"Bearer {token}"},
                               params={"input_token": token})
        finally:
            rest.close()
        body = answer.body if isinstance(answer.body, dict) else {}
        data: dict[str, Any] = body.get("data") if isinstance(body.get("data"), dict) else {}  # type: ignore[assignment]
        if answer.status != 200 or not data:
            error = body.get("error") if isinstance(body.get("error"), dict) else {}
            said = Redactor([token])(str((error or {}).get("message") or f"HTTP {answer.status}"))[:200]
            raise RejectedError(f"Threads' debug_token answered: {said}", platform=account, status=answer.status)
        if data.get("is_valid") is False:
            raise RejectedError("Threads says the token is not valid", platform=account)
        return _ends(data.get("expires_at"), "Threads", account)

    return ask


def linkedin_ask(api_url: str, account: str, client_id: str, client_secret: str) -> Ask:
    """LinkedIn's token introspection with the app's client id and secret; under the account's own endpoint
    when it has one (a stand-in serves both), else on www.linkedin.com, where LinkedIn serves OAuth."""
    base = api_url.rstrip("/")
    url = LINKEDIN_INTROSPECT if base == LINKEDIN_API_URL else f"{base}/oauth/v2/introspectToken"

    def ask(token: str) -> tuple[float, str] | None:
        rest = RestSession(api_url, platform=account, what="LinkedIn", hint="check the network")
        try:
            answer = rest.call("POST", url, data={"client_id": client_id, "client_secret": client_secret,
                                                  "token": token})
        finally:
            rest.close()
        body = answer.body if isinstance(answer.body, dict) else {}
        if answer.status != 200:
            said = Redactor([token, client_secret])(
                str(body.get("error_description") or body.get("message") or f"HTTP {answer.status}"))[:200]
            raise RejectedError(f"LinkedIn's token introspection answered: {said}", platform=account,
                                status=answer.status)
        if body.get("active") is not True:
            raise RejectedError(f"LinkedIn says the token is {body.get('status') or 'not active'}", platform=account)
        return _ends(body.get("expires_at"), "LinkedIn", account)

    return ask


def _ends(value: Any, who: str, account: str) -> tuple[float, str] | None:
    # Meta writes 0 for a token that never expires; anything else not a time is no answer at all.
    if value == 0:
        return None
    if not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
        raise RejectedError(f"{who} did not say when the token ends (expires_at {value!r})", platform=account)
    return float(value), who
