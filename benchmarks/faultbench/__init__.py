"""The parts of benchmarks/faults.py, the fault script; its docstring tells the whole.

fake      the fake Slack Web API, which can also answer the next few posts too late
database  the run's PostgreSQL database: created, probed, made read-only and back, dropped
traffic   customers' messages for one phase, Slack's redelivery, and the /healthz prober
faults    the four faults: slow Slack, 429 storm, SIGHUP storm, read-only database
run       one worker per fault: a baseline phase, the fault phase, SIGTERM, the counts
report    the table and the worker logs' most frequent warnings
"""
