"""The descriptions the shipped diagrams were written from (scripts/flowgen.py), one module per city package."""
