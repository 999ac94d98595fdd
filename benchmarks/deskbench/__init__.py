"""The parts of benchmarks/desk.py, the desk's cost per message and per timer tick; its
docstring tells the whole.

phrases        what customers write, in en/it/de/pl, against the sample knowledge base
conversations  the replayed two-message conversations, spread over a simulated day
messages       part 1: desk CPU per message against the search alone; the --profile section
databases      fresh SQLite files and PostgreSQL databases, put back as they were after a tick
sweeper        part 2: one timer tick with many open conversations against the old way
report         the machine line and markdown tables
"""
