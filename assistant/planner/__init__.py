"""The offline planner's parts: intent classification, entity extraction, period
parsing and answer composition. ``assistant.planner.model.LocalPlanner`` ties them together."""
