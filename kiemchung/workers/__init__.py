"""Server mode's workers: the background work of ``kiemchung watch`` as jobs in a PostgreSQL queue.

``kiemchung watch`` is the one-process mode (SQLite or PostgreSQL): one process polls the sources and
runs the stages after ingest. In server mode any number of ``kiemchung worker`` processes, on any host
that reaches the PostgreSQL database, share that work through procrastinate's job queue, which lives
in the same database (its tables are created by kiemchung's own migrations).

The pieces:

- :mod:`kiemchung.workers.queue`: the procrastinate app of a database URL, the queue names, and the
  idempotent creation of procrastinate's schema (called by migration 0017 on PostgreSQL).
- :mod:`kiemchung.workers.tasks`: the tasks (poll one source, store an import chunk, assign stories,
  match alerts and deliver them, named entities, story keywords, scheduled reports), the periodic
  ones that find due work, and what each does to stay correct when several workers run it.
- :mod:`kiemchung.workers.runner`: a worker process (``kiemchung worker``): procrastinate's worker,
  the stalled-job sweeper (a job whose worker stopped sending heartbeats goes back to the queue), and
  reconnection when the database goes away.

How each kind of work stays correct with several workers, and after a worker is killed (SIGKILL) in
the middle of a job (the job is retried once its worker's heartbeat is older than the stall timeout):

- one worker at a time per source: a poll job carries the lock ``source:<id>`` (never two at once) and
  the queueing lock ``poll:<id>`` (never two waiting); a job that finds its source polled meanwhile
  does nothing. What a poll stores is identified by its document key, so a retried poll adds nothing
  twice.
- imports: the file is read by the command that imports it (on its host) and sent as chunks of
  documents, one job each; a chunk stored twice is recognised by its document keys.
- story assignment is serial: every job of the stage carries the lock ``stories`` (procrastinate runs
  jobs of one lock one after another, in order, on whichever worker is free) and the queueing lock
  ``stories`` (at most one waiting: a job assigns everything stored before it starts). A killed
  worker's job keeps the lock until the sweeper hands it back to the queue; the next worker loads the
  clusterer's saved state and re-derives the documents after it (the state's stamp guards against a
  second writer anyway, see :class:`kiemchung.stories.service.StoryStage`).
- alerts and their delivery share the lock ``alerts`` and the store-wide stage lock ``alerts`` (so a
  copy handed back by the sweeper never sends what the running one sends); an alert is recorded once
  per document and fact-check (a unique key), a notification once per alert and channel.
- named entities and story keywords: locks ``entities`` and ``keywords``; both are resumable stages.
- scheduled reports: lock ``reports``; a period's report is written once (its files are the mark).
"""

from __future__ import annotations
