"""CPU counters of this machine and its processes, read from /proc (Linux)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from dataclasses import dataclass
from pathlib import Path

CLK_TCK = os.sysconf("SC_CLK_TCK")
CORES = os.cpu_count() or 1
SERVICES = {"postgres", "redis-server", "nginx"}


def load_average() -> str:
    """What `uptime` prints as load: 1, 5 and 15 minute averages of runnable processes."""
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def process_cpu_s(pid: int | str) -> float:
    """CPU seconds (user + system) that process `pid` has used (0 if it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def services_cpu_s() -> dict[int, float]:
    """CPU seconds of every PostgreSQL, Redis and nginx process on the machine, by pid."""
    found = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if (entry / "comm").read_text().strip() in SERVICES:
                    found[int(entry.name)] = process_cpu_s(entry.name)
    return found


def machine_busy_s() -> float:
    """CPU seconds all cores together spent busy (not idle, not waiting for I/O) since boot."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    return (sum(values) - values[3] - values[4]) / CLK_TCK


@dataclass(frozen=True)
class CpuSnapshot:
    """CPU counters at one instant."""

    server_s: float
    client_s: float
    services_s: dict[int, float]
    machine_s: float

    @classmethod
    def take(cls, server_pids: list[int]) -> CpuSnapshot:
        """Read the counters now."""
        server = sum(process_cpu_s(pid) for pid in server_pids)
        return cls(server, time.process_time(), services_cpu_s(), machine_busy_s())


def cpu_use(before: CpuSnapshot, after: CpuSnapshot, span: float) -> dict[str, float]:
    """CPU use between two snapshots in % of one core; "other" is the rest of the machine."""
    services = sum(s - before.services_s.get(pid, 0.0) for pid, s in after.services_s.items())
    used = {
        "server_cpu_pct": after.server_s - before.server_s,
        "client_cpu_pct": after.client_s - before.client_s,
        "db_cpu_pct": services,
        "machine_cpu_pct": after.machine_s - before.machine_s,
    }
    used["other_cpu_pct"] = used["machine_cpu_pct"] - sum(
        used[k] for k in ("server_cpu_pct", "client_cpu_pct", "db_cpu_pct")
    )
    return {key: 100 * seconds / span for key, seconds in used.items()}


async def cpu_during(start: float, end: float, server_pids: list[int]) -> dict[str, float]:
    """CPU use between two `time.perf_counter()` instants."""
    await asyncio.sleep(max(0.0, start - time.perf_counter()))
    before = CpuSnapshot.take(server_pids)
    await asyncio.sleep(max(0.0, end - time.perf_counter()))
    return cpu_use(before, CpuSnapshot.take(server_pids), end - start)
