"""Every router of the communication domains (status page and stakeholder updates), so that
app.py includes them with one line."""

from __future__ import annotations

from fastapi import APIRouter


def routers() -> list[APIRouter]:
    from firehouse.statuspage import api, communicate, pages, public
    from firehouse.updates import api as updates_api

    return [public.router, api.router, pages.router, communicate.router, updates_api.router]
