"""REST handlers of the workspace itself: where it lives, and the API document."""

from __future__ import annotations

from ..core.schemas import Info
from .base import MLServiceHandler, authenticated, authorized
from .ops import ANY_OBJECT, Op


class InfoHandler(MLServiceHandler):
    @authenticated
    @authorized
    async def get(self):
        self.reply(await self.run(self.extensionapp.info))


class OpenAPIHandler(MLServiceHandler):
    @authenticated
    @authorized
    async def get(self):
        from .openapi import openapi_document

        self.reply(openapi_document())


OPS = [
    Op("GET", "/info", InfoHandler, "getInfo", "Workspace locations and versions.", Info, tag="workspace"),
    Op("GET", "/openapi.json", OpenAPIHandler, "getOpenAPI", "This document.", ANY_OBJECT, tag="workspace"),
]
