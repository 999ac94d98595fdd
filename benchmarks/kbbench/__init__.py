"""The parts of benchmarks/kb_retrieval.py's decision benchmark.

tasks      Bitext, Banking77 and the multilingual set, with dev/test halves and out-of-scope queries
decisions  words, meaning and fused: ranking, calibrated decisions, languages, tuning on dev
"""
