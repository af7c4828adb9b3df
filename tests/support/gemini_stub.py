"""A local stand-in for the Gemini REST API, so the tests run the real google-genai client.

It answers `POST …/models/<model>:generateContent` with one JSON reply and
`…:streamGenerateContent?alt=sse` with `data: <json>` events, records every request body, and
can be told to fail: `status` (400, 500), `delay` (seconds before answering, for timeouts).
"""

from __future__ import annotations

import asyncio
import json

from aiohttp import web


class GeminiStub:
    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.paths: list[str] = []
        self.chunks: list[str] = ["Bonjour, ", "je suis ", "l'assistant."]
        self.status = 200
        self.delay = 0.0
        self.app = web.Application()
        self.app.router.add_post("/{tail:.*}", self.handle)

    def prompts(self) -> list[str]:
        """Everything each request told the model: system instruction and all parts, as one text."""
        return [json.dumps(r, ensure_ascii=False) for r in self.requests]

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.paths.append(request.path)
        self.requests.append(await request.json())
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.status != 200:
            return web.json_response({"error": {"code": self.status, "message": "stub failure",
                                                 "status": "INVALID_ARGUMENT" if self.status == 400 else "INTERNAL"}},
                                     status=self.status)
        if request.path.endswith(":streamGenerateContent"):
            resp = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
            await resp.prepare(request)
            for text in self.chunks:
                await resp.write(f"data: {json.dumps(_reply(text))}\r\n\r\n".encode())
            await resp.write_eof()
            return resp
        return web.json_response(_reply("".join(self.chunks)))


def _reply(text: str) -> dict:
    return {"candidates": [{"content": {"role": "model", "parts": [{"text": text}]}, "finishReason": "STOP"}]}
