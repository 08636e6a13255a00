"""The BPMN runtime: parsing, validation, sandboxed expressions, timers, serialization, forms."""
