"""The knowledge base (知识库): versioned articles, full-text search that works for Chinese,
and links from the cases they answered.

Chinese has no spaces between words, so a word index would need a segmenter; a trigram index
does not: SQLite's FTS5 ``trigram`` tokenizer and PostgreSQL's ``pg_trgm`` both match any
substring of three characters or more. Shorter queries (two-character words such as 社保 are
common) fall back to a substring scan of the current articles, which is still exact.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from typing import Any

from callcenter.casework.store import CaseStore

MAX_TITLE = 200
MAX_BODY = 20_000


class KnowledgeError(ValueError):
    """An article or link is refused; the message names the field."""


@dataclass(frozen=True)
class Article:
    article_id: str
    version: int
    title: str
    body: str
    tags: str
    author: str
    created_at: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


_COLUMNS = "article_id, version, title, body, tags, author, created_at"


class KnowledgeBase:
    def __init__(self, store: CaseStore) -> None:
        self.store = store
        self.backend = store.backend
        self._lock = store._lock

    def save(self, article_id: str, title: str, body: str, tags: str = "", *, author: str,
             at: float | None = None) -> Article:
        """A new version of ``article_id`` (version 1 when new); earlier versions are kept."""
        if not article_id or len(article_id) > 64:
            raise KnowledgeError("article_id: 1-64 characters")
        if not title.strip() or len(title) > MAX_TITLE:
            raise KnowledgeError(f"title: 1-{MAX_TITLE} characters")
        if not body.strip() or len(body) > MAX_BODY:
            raise KnowledgeError(f"body: 1-{MAX_BODY} characters")
        at = time.time() if at is None else at
        backend = self.backend
        with self._lock, backend.transaction():
            version = (backend.query("SELECT MAX(version) FROM kb_articles WHERE article_id = ?",
                                     (article_id,))[0][0] or 0) + 1
            backend.execute("UPDATE kb_articles SET current = 0 WHERE article_id = ?", (article_id,))
            backend.execute(f"INSERT INTO kb_articles ({_COLUMNS}, current) VALUES (?, ?, ?, ?, ?, ?, ?, 1)",
                            (article_id, version, title, body, tags, author, at))
            backend.execute("DELETE FROM kb_search WHERE article_id = ?", (article_id,))
            backend.execute("INSERT INTO kb_search (article_id, title, body, tags) VALUES (?, ?, ?, ?)",
                            (article_id, title, body, tags))
        return Article(article_id, version, title, body, tags, author, at)

    def article(self, article_id: str, version: int | None = None) -> Article | None:
        sql = f"SELECT {_COLUMNS} FROM kb_articles WHERE article_id = ? AND "
        sql += "current = 1" if version is None else "version = ?"
        params = (article_id,) if version is None else (article_id, version)
        with self._lock:
            rows = self.backend.query(sql, params)
        return Article(*rows[0]) if rows else None

    def versions(self, article_id: str) -> list[Article]:
        with self._lock:
            rows = self.backend.query(
                f"SELECT {_COLUMNS} FROM kb_articles WHERE article_id = ? ORDER BY version", (article_id,))
        return [Article(*row) for row in rows]

    def search(self, text: str, limit: int = 20) -> list[Article]:
        """Current articles whose title, body or tags contain every term of ``text``
        (terms split on spaces), best matches first."""
        terms = [t for t in text.split() if t][:8]
        if not terms:
            return []
        if self.backend.dialect == "sqlite":
            ids = self._search_sqlite(terms, limit)
        else:
            ids = self._search_postgres(terms, limit)
        return [a for a in (self.article(i) for i in ids) if a is not None]

    def _search_sqlite(self, terms: list[str], limit: int) -> list[str]:
        long = [t for t in terms if len(t) >= 3]
        short = [t for t in terms if len(t) < 3]
        where, params = [], []
        if long:  # each term a quoted phrase: no FTS5 query syntax from the user gets through
            where.append("kb_search MATCH ?")
            params.append(" AND ".join('"' + t.replace('"', '""') + '"' for t in long))
        for term in short:
            where.append("(title || ' ' || body || ' ' || tags) LIKE ? ESCAPE '\\'")
            params.append("%" + _escape_like(term) + "%")
        order = "bm25(kb_search, 0.0, 10.0, 1.0, 5.0)" if long else "article_id"
        sql = f"SELECT article_id FROM kb_search WHERE {' AND '.join(where)} ORDER BY {order} LIMIT ?"
        with self._lock:
            return [row[0] for row in self.backend.query(sql, (*params, limit))]

    def _search_postgres(self, terms: list[str], limit: int) -> list[str]:
        doc = "(title || ' ' || body || ' ' || tags)"
        where = " AND ".join(f"{doc} ILIKE ? ESCAPE '\\'" for _ in terms)
        params: list[Any] = ["%" + _escape_like(t) + "%" for t in terms]
        sql = (f"SELECT article_id FROM kb_search WHERE {where} "
               f"ORDER BY (CASE WHEN title ILIKE ? ESCAPE '\\' THEN 0 ELSE 1 END), "
               f"similarity({doc}, ?) DESC, article_id LIMIT ?")
        with self._lock:
            rows = self.backend.query(sql, (*params, params[0], " ".join(terms), limit))
        return [row[0] for row in rows]

    # ------------------------------------------------------------------ links

    def link(self, case_id: str, article_id: str, *, by: str, at: float | None = None) -> Article:
        """Record that ``article_id`` (its current version) answered ``case_id``."""
        article = self.article(article_id)
        if article is None:
            raise KnowledgeError(f"article_id: no article {article_id!r}")
        with self._lock, self.backend.transaction():
            self.backend.execute(
                "INSERT INTO case_articles (case_id, article_id, version, linked_by, linked_at) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (case_id, article_id) DO NOTHING",
                (case_id, article_id, article.version, by, time.time() if at is None else at))
        return article

    def linked(self, case_id: str) -> list[dict[str, Any]]:
        with self._lock:
            rows = self.backend.query(
                "SELECT l.article_id, l.version, a.title FROM case_articles l JOIN kb_articles a "
                "ON a.article_id = l.article_id AND a.version = l.version WHERE l.case_id = ? "
                "ORDER BY l.linked_at", (case_id,))
        return [{"article_id": r[0], "version": r[1], "title": r[2]} for r in rows]

    def cases_answered(self, article_id: str) -> list[str]:
        with self._lock:
            rows = self.backend.query("SELECT case_id FROM case_articles WHERE article_id = ? "
                                      "ORDER BY linked_at", (article_id,))
        return [r[0] for r in rows]


def _escape_like(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
