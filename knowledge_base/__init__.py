"""The knowledge base: articles, loading, validation, search, a disk cache. No Slack, no SQL."""

from knowledge_base.articles import Article, KnowledgeBase
from knowledge_base.cache import load_indexed
from knowledge_base.loader import KbProblem, KnowledgeBaseError, load_knowledge_base
from knowledge_base.search import Hit, Searcher, SearchResult

__all__ = [
    "Article",
    "Hit",
    "KbProblem",
    "KnowledgeBase",
    "KnowledgeBaseError",
    "SearchResult",
    "Searcher",
    "load_indexed",
    "load_knowledge_base",
]
