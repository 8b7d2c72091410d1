"""The server half of the simulator: serves an organisation's `simulator.records` as GitHub does.

REST and GraphQL over HTTP on loopback, with GitHub's payload shapes, pagination, rate limits,
credentials and faults; from the generator it uses only `simulator.generator`'s exports.
"""

from simulator.server.credentials import Credentials
from simulator.server.faults import FAULT_KINDS, FaultSpec, FaultSpecError
from simulator.server.http_server import SimulatorServer

__all__ = ["FAULT_KINDS", "Credentials", "FaultSpec", "FaultSpecError", "SimulatorServer"]
