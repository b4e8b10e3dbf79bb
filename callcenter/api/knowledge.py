"""Knowledge-base routes: search (every user), read, versions, and edits (supervisors)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from callcenter.casework.accounts import User
from callcenter.casework.knowledge import MAX_BODY, MAX_TITLE, KnowledgeBase, KnowledgeError

ArticleOut = dict[str, Any]


class ArticleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str = Field(min_length=1, max_length=MAX_TITLE)
    body: str = Field(min_length=1, max_length=MAX_BODY)
    tags: str = Field(default="", max_length=500)


def knowledge_router(kb: KnowledgeBase, current_user: Callable[[Request], User],
                     supervisor: Callable[..., User]) -> APIRouter:
    router = APIRouter(prefix="/api/kb", tags=["knowledge"])

    @router.get("/search", summary="Full-text search of current articles (Chinese works)")
    def search(q: str = Query(min_length=1, max_length=200), limit: int = Query(20, ge=1, le=100),
               user: User = Depends(current_user)) -> list[ArticleOut]:
        return [a.to_dict() for a in kb.search(q, limit)]

    @router.get("/articles/{article_id}", summary="The current version of an article")
    def article(article_id: str, user: User = Depends(current_user)) -> ArticleOut:
        found = kb.article(article_id)
        if found is None:
            raise HTTPException(404, f"no article {article_id!r}")
        return {**found.to_dict(), "cases": kb.cases_answered(article_id)[-50:]}

    @router.get("/articles/{article_id}/versions", summary="Every version of an article")
    def versions(article_id: str, user: User = Depends(current_user)) -> list[ArticleOut]:
        found = kb.versions(article_id)
        if not found:
            raise HTTPException(404, f"no article {article_id!r}")
        return [a.to_dict() for a in found]

    @router.put("/articles/{article_id}", summary="Write a new version of an article (supervisors)")
    def save(article_id: str, body: ArticleIn, user: User = Depends(supervisor)) -> ArticleOut:
        try:
            return kb.save(article_id, body.title, body.body, body.tags, author=user.username).to_dict()
        except KnowledgeError as exc:
            raise HTTPException(422, str(exc)) from None

    return router
