"""ipywidgets panels. Each drives a simulation only through the public
simulator and FaultPlan API, then redraws views from the trace, so anything a
learner clicks can be exported as code (``panel.to_code()``) and replayed.

* ``dscourse.widgets.fault_panel.FaultPanel``: the fault panel and player every
  notebook reuses; topic panels build on it.
"""
