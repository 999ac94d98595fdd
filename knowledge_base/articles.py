"""Articles and the knowledge base that holds them."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

PUBLIC = "public"
INTERNAL = "internal"


@dataclass(frozen=True)
class Article:
    """One answer in one language; the same `id` in another locale is its translation."""

    id: str
    title: str
    answer: str
    locale: str = "en"
    questions: tuple[str, ...] = ()
    stages: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    audience: str = PUBLIC
    agent_notes: str = ""
    source: str = ""  # "FILE:LINE", for messages that point a writer at the article

    @property
    def is_public(self) -> bool:
        return self.audience == PUBLIC


@dataclass(frozen=True)
class KnowledgeBase:
    """All articles, every locale, indexed by (id, locale)."""

    articles: tuple[Article, ...]
    default_locale: str = "en"
    _by_key: dict[tuple[str, str], Article] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_key", {(a.id, a.locale): a for a in self.articles})

    @classmethod
    def of(cls, articles: Iterable[Article], default_locale: str = "en") -> KnowledgeBase:
        return cls(tuple(articles), default_locale)

    def __iter__(self) -> Iterator[Article]:
        return iter(self.articles)

    def __len__(self) -> int:
        return len(self.articles)

    def get(self, article_id: str, locale: str | None = None) -> Article | None:
        """The article in `locale`, else in the default locale, else in any locale."""
        for candidate in (locale, self.default_locale):
            if candidate and (article_id, candidate) in self._by_key:
                return self._by_key[(article_id, candidate)]
        return next((a for a in self.articles if a.id == article_id), None)

    def locales(self) -> Counter[str]:
        """How many articles each locale has."""
        return Counter(a.locale for a in self.articles)

    def stage_counts(self) -> Counter[str]:
        """How many articles (any locale) name each stage."""
        return Counter(stage for a in self.articles for stage in a.stages)
