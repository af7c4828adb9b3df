"""Gemini through the official `google-genai` client, async, plain or streamed, within a deadline.

The client is made once per app (`GOOGLE_API_KEY`, `GEMINI_MODEL`, `GEMINI_BASE_URL` for a proxy or
the tests' stub server). It does not retry (google-genai's default): a failed or slow answer goes
to the offline assistant at once instead of keeping the user waiting. Any failure is raised as
`GeminiFailed` with a short reason the caller logs and reports (`timeout`, `http_400`, `http_500`…).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

from google import genai
from google.genai import errors, types

log = logging.getLogger(__name__)


class GeminiFailed(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Gemini:
    def __init__(self, api_key: str, model: str, base_url: str | None, timeout_s: float) -> None:
        self.model, self.timeout_s = model, timeout_s
        options = types.HttpOptions(timeout=int(timeout_s * 1000), **({"base_url": base_url} if base_url else {}))
        self.client = genai.Client(api_key=api_key, http_options=options)

    def _config(self, system: str) -> types.GenerateContentConfig:
        return types.GenerateContentConfig(system_instruction=system, temperature=0.3, max_output_tokens=1024)

    async def reply(self, system: str, contents: list[dict]) -> str:
        """The whole answer in one response."""
        try:
            async with asyncio.timeout(self.timeout_s):
                response = await self.client.aio.models.generate_content(
                    model=self.model, contents=contents, config=self._config(system))
        except Exception as exc:
            raise _failure(exc) from exc
        text = response.text or ""
        if not text.strip():
            raise GeminiFailed("empty")
        return text

    async def stream(self, system: str, contents: list[dict]) -> AsyncIterator[str]:
        """The answer in pieces as Gemini produces them; the deadline covers the whole stream."""
        got = False
        try:
            async with asyncio.timeout(self.timeout_s):
                chunks = await self.client.aio.models.generate_content_stream(
                    model=self.model, contents=contents, config=self._config(system))
                async for chunk in chunks:
                    if chunk.text:
                        got = True
                        yield chunk.text
        except GeminiFailed:
            raise
        except Exception as exc:
            raise _failure(exc) from exc
        if not got:
            raise GeminiFailed("empty")


def _failure(exc: Exception) -> GeminiFailed:
    if isinstance(exc, TimeoutError) or "timeout" in type(exc).__name__.lower():
        return GeminiFailed("timeout")
    if isinstance(exc, errors.APIError):
        return GeminiFailed(f"http_{exc.code}")
    log.warning("gemini call failed: %s: %s", type(exc).__name__, exc)
    return GeminiFailed(type(exc).__name__)
