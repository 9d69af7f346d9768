"""The hosts from the jump host: reach them over SSH, place the plan's files, read back, probe.

`ssh` holds the connection (the operator's OpenSSH, multiplexed, bounded parallelism); the
jobs that use it — distribute, check, probe — each have a module of their own here.
"""

PROBE_TIMEOUT = 3.0  # seconds per endpoint; here so that the command line need not load probe
