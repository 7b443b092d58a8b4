"""Putting it together: the design checklist, worked design problems, and instructor tools.

Notebook 10. Nothing here is a new protocol: every simulation runs the stores,
rings, queues and elections of the earlier topics and measures them.

* ``rules``: the course text's decision checklist as a rule set
  (``recommend(answers) -> Design``), with three more questions and the
  interactions the table hides; ``PROFILES`` are the worked problems' answers;
* ``problems``: a payment ledger (CP refuses, AP loses deposits), a social
  feed (AP serves stale reads), chat (causal order);
* ``inventory``: stock that must not be oversold: AP check-then-act, CP
  tickets, AP with escrow quotas, under one partition;
* ``cache``: a partitioned cache: the miss storm when a node joins, and a hot
  key's load with and without replication or splitting;
* ``talk``: how to talk through a design, with numbers re-measured from
  notebooks 02-09;
* ``exercises``: the notebook's checks;
* ``workshop``: shared scenarios (seed + fault plan from ``data/workshop``)
  and the seed notes of the instructor guide (imported on its own:
  ``from dscourse.design.workshop import shared_scenario``).
"""

from .cache import hot_key_load, join_misses, zipf_requests
from .exercises import check_hot_key_router, check_seat_booking, check_split_stock
from .inventory import DESIGNS, InventoryRun, Till, inventory_sim, run_inventory
from .problems import chat, payment_ledger, social_feed
from .rules import PROFILES, QUESTIONS, Design, Question, Recommendation, recommend
from .talk import Measured, Talk, course_numbers, problem_facts, talk

__all__ = [
    "DESIGNS", "Design", "InventoryRun", "Measured", "PROFILES", "QUESTIONS", "Question",
    "Recommendation", "Talk", "Till", "chat", "check_hot_key_router",
    "check_seat_booking", "check_split_stock", "course_numbers", "hot_key_load",
    "inventory_sim", "join_misses", "payment_ledger", "problem_facts", "recommend",
    "run_inventory", "social_feed", "talk",
    "zipf_requests",
]
