"""The generator half of the simulator: builds the synthetic organisation as `simulator.records`.

It never imports the server (tests/simulator/test_layering.py); the server and everything
outside the simulator use only what is exported here.
"""

from simulator.generator.org import SCALES, advance, generate_organisation, remove_label

__all__ = ["SCALES", "advance", "generate_organisation", "remove_label"]
