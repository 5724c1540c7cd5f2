"""The drill bank's content: one module per interview topic, each drill one block in one file.

A topic module defines, per drill, the example and case maker, the pandas reference, the classic wrong answers
and the correct variants (``right_answers``), the SQL twin, and the ``Drill`` object (prompt, hints, complexity,
what the interviewer listens for) at module level. Its ``ORDER`` places the topic in the bank.
:mod:`pharma_kit.drills.bank` imports every module here and collects the ``Drill`` objects it finds: adding a drill
is adding one block to one of these files (or a new file with an ``ORDER``).
"""
