"""The parts of benchmarks/load.py, the load and fault benchmark; its docstring tells the whole.

simulator  customers in their DMs, Slack's signed (re)delivery of their events, their answers
slack_api  the fake Slack Web API the workers call, counting accepted posts, failing a few
database   a fresh PostgreSQL database per run, and what is left in its inbox and outbox
processes  the `supportbot run --http` workers and the proxy in front, and their CPU time
faults     the fault run: one worker killed halfway through the load and started again
run        one run, normal or fault: everything started, the load, the wait for stragglers
report     the figures of each run and the tables printed
"""
