"""The application layer both faces call: generation, cluster files, renewal, the lock.

The command line and the wizard only parse what the user gave and render what these jobs
return; a decision (what a run does with the files there, which cluster file a renewal uses,
who may write a directory) is made here once.
"""
