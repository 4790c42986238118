"""Discovery: the paper's pipeline end to end, from generated or given structures to the
ordered and disordered candidate tables and a report a chemist can read.

Stages (each writes ``DIR/<stage>/``: ``table.csv``, ``dropped.csv``, ``cifs/`` and a
finished marker, so a rerun skips what is done): ``sources`` → ``scored`` (Tc, P(SC)) →
``stable`` (relaxed with a machine-learned potential, energy above the hull) → ``unique``
(StructureMatcher duplicates, novelty, re-scored on the relaxed cell) → ``ordered`` (top-k)
→ ``doped`` (substitution and vacancy variants, scored) → ``disordered`` (stability of the
shortlist, top-k). See :func:`supercon3d.discovery.pipeline.run_discovery`.
"""
