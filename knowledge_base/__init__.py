"""The knowledge base: articles, loading, validation and search. No Slack, no SQL."""

from knowledge_base.articles import Article, KnowledgeBase
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
    "load_knowledge_base",
]
