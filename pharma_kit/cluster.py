"""Lesson 04 beyond one machine: the same per-key aggregation on a real Dask cluster (scheduler + worker processes).

The job is the lesson's partial-aggregate pattern written as a map-shuffle-reduce graph:

- **map**, one task per Parquet file (a month): read the needed columns with explicit types, drop rows with a
  missing value (as :func:`pharma_kit.chunked.aggregate_file` does), reduce the file to per-key partials
  (:func:`pharma_kit.chunked.chunk_partials`: rows, sum, min, max, last date) and its distinct
  ``(key, value)`` pairs, then split both by a hash of the key into ``n_buckets`` pieces;
- **shuffle**: bucket ``b`` of every map output travels to the worker that reduces bucket ``b``;
- **reduce**, one task per bucket: merge the partials exactly (:func:`pharma_kit.chunked.combine_partials`: add
  rows and sums, min of mins, max of maxes, mean at the end) and count the union of the pairs
  (:func:`pharma_kit.chunked.distinct_per_key`); every key lives in one bucket, so the buckets just concatenate.

The result equals :func:`pharma_kit.chunked.aggregate_file` (same columns, same order, checked with
:func:`pharma_kit.engines.same_result`). The same graph runs in-process (``client=None``: Dask's synchronous
scheduler) or on any cluster; :class:`ClusterRun` reports what the cluster added and cost (tasks run, bytes moved
between workers, wall time) as data, never as an assertion.

Connecting: :func:`connect` takes ``tcp://host:port`` (or ``$PHARMA_KIT_DASK_SCHEDULER``) and either returns a
``Client`` within a few seconds or raises: :class:`~pharma_kit.errors.ConfigError` for a malformed or unset
address or a peer that is not a Dask scheduler, :class:`~pharma_kit.errors.TransientError` when nothing answers
in time. A bare ``distributed.Client(address, timeout=...)`` can wait forever on a peer that accepts the
connection and never replies; :func:`connect` probes the address first, with hard time limits.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import signal
import socket
import tempfile
import threading
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator, Mapping, Sequence

import numpy as np
import pandas as pd
from distributed import WorkerPlugin

from pharma_kit.chunked import AggSpec, chunk_partials, combine_partials, distinct_per_key
from pharma_kit.errors import ConfigError, InputFileError, TransientError

if TYPE_CHECKING:  # pragma: no cover
    from distributed import Client, LocalCluster

#: The environment variable naming the scheduler the pipeline's heavy step runs on (``tcp://host:port``).
SCHEDULER_ENV = "PHARMA_KIT_DASK_SCHEDULER"
#: Seconds a connection attempt may take before it is given up as a :class:`TransientError`.
CONNECT_TIMEOUT_S = 3.0
#: The lesson's cluster: two worker processes, one thread each, this much memory each (they spill past ~60 %).
DEFAULT_WORKERS = 2
DEFAULT_MEMORY_LIMIT = "768MiB"

_ADDRESS = re.compile(r"^tcp://(?P<host>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+):(?P<port>[0-9]{1,5})$")
_LOGGERS = ("distributed", "distributed.nanny", "distributed.scheduler", "distributed.worker", "distributed.core",
            "distributed.comm", "distributed.client", "distributed.shuffle", "tornado.application")


# --------------------------------------------------------------------------------------------------
# the cluster and the connection
# --------------------------------------------------------------------------------------------------
@contextlib.contextmanager
def quiet_logs(level: int = logging.CRITICAL) -> Iterator[None]:
    """Raise distributed's loggers in this process to ``level`` for the block (a killed worker is logged loudly)."""
    old = {name: logging.getLogger(name).level for name in _LOGGERS}
    try:
        for name in _LOGGERS:
            logging.getLogger(name).setLevel(level)
        yield
    finally:
        for name, lvl in old.items():
            logging.getLogger(name).setLevel(lvl)


def start_local_cluster(n_workers: int = DEFAULT_WORKERS, threads_per_worker: int = 1,
                        memory_limit: str | int = DEFAULT_MEMORY_LIMIT, *,
                        silence_logs: int = logging.CRITICAL) -> "LocalCluster":
    """A ``LocalCluster`` of worker **processes** on 127.0.0.1: ephemeral ports, no dashboard, a memory limit each.

    Each worker is a separate Python process behind a nanny (which restarts it if it dies) and talks to the
    scheduler over TCP, exactly as on many machines. Close it with ``cluster.close()`` (or use :func:`local_client`).
    """
    from distributed import LocalCluster

    # no dashboard; the scheduler's small HTTP server (health, metrics) on a free port: its default is 8787, which
    # another cluster (a learner's, a CI job's) may hold, and then it warns into the notebook
    return LocalCluster(n_workers=n_workers, threads_per_worker=threads_per_worker, processes=True,
                        host="127.0.0.1", scheduler_port=0, dashboard_address=None,
                        scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
                        memory_limit=memory_limit, silence_logs=silence_logs)


@contextlib.contextmanager
def local_client(n_workers: int = DEFAULT_WORKERS, threads_per_worker: int = 1,
                 memory_limit: str | int = DEFAULT_MEMORY_LIMIT) -> Iterator["Client"]:
    """Start :func:`start_local_cluster`, yield a connected ``Client``, close both on the way out."""
    from distributed import Client

    cluster = start_local_cluster(n_workers, threads_per_worker, memory_limit)
    try:
        client = Client(cluster, set_as_default=False)
        try:
            client.wait_for_workers(n_workers, timeout=60)
            yield client
        finally:
            with quiet_logs():
                client.close()
    finally:
        with quiet_logs():
            cluster.close()


def parse_scheduler_address(address: str) -> str:
    """Check a scheduler address is ``tcp://host:port`` (port 1-65535); return it stripped, else :class:`ConfigError`."""
    if not isinstance(address, str):
        raise ConfigError(f"{SCHEDULER_ENV}: expected a string like 'tcp://10.0.0.5:8786', got {type(address).__name__}")
    text = address.strip()
    m = _ADDRESS.match(text)
    if not m or not 1 <= int(m["port"]) <= 65535:
        raise ConfigError(f"{SCHEDULER_ENV}={address!r} is not a scheduler address: expected 'tcp://host:port' "
                          f"(for example 'tcp://10.0.0.5:8786')")
    return text


def scheduler_address(env: Mapping[str, str] | None = None) -> str | None:
    """The validated ``$PHARMA_KIT_DASK_SCHEDULER`` or ``None`` when it is unset or empty (run in-process)."""
    env = os.environ if env is None else env
    raw = env.get(SCHEDULER_ENV, "")
    return parse_scheduler_address(raw) if raw.strip() else None


def _tcp_check(address: str, timeout: float) -> None:
    """A plain TCP connect: a refused port, an unknown host or silence fail here, before any Dask protocol."""
    m = _ADDRESS.match(address)
    host, port = m["host"].strip("[]"), int(m["port"])
    try:
        with socket.create_connection((host, port), timeout=timeout):
            pass
    except socket.gaierror as exc:
        raise TransientError(f"Dask scheduler {address}: cannot resolve host {host!r} ({exc})") from None
    except ConnectionRefusedError:
        raise TransientError(f"Dask scheduler {address}: connection refused (nothing listens there; "
                             f"is the scheduler running?)") from None
    except (TimeoutError, socket.timeout):
        raise TransientError(f"Dask scheduler {address}: no answer within {timeout:g} s") from None
    except OSError as exc:
        raise TransientError(f"Dask scheduler {address}: cannot connect ({exc})") from None


class _NoHandshake(Exception):
    """The TCP connection was accepted, but no Dask handshake or reply came in time."""


def _identity(address: str, timeout: float) -> Any:
    """Dask's handshake and one ``identity`` round trip, under ``asyncio.wait_for`` (a silent peer cannot stall it)."""
    from distributed.comm import connect as dask_connect

    async def ask() -> Any:
        comm = await dask_connect(address, timeout=timeout)
        try:
            await comm.write({"op": "identity", "reply": True})
            return await comm.read()
        finally:
            comm.abort()

    try:
        return asyncio.run(asyncio.wait_for(ask(), timeout))
    except (TimeoutError, asyncio.TimeoutError, OSError) as exc:
        raise _NoHandshake(str(exc)) from None


def _probe(address: str, timeout: float) -> dict:
    """Ask the peer who it is, with hard time limits: TCP connect, then Dask's ``identity`` call.

    Both steps run in a daemon thread that is joined with a deadline, so even a hanging name lookup cannot
    stall the caller; the thread is abandoned, never waited for, past the deadline.
    """
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            _tcp_check(address, timeout)
            box["reply"] = _identity(address, timeout)
        except BaseException as exc:  # noqa: BLE001 - reported to the caller below
            box["error"] = exc

    thread = threading.Thread(target=run, name="pharma-kit-dask-probe", daemon=True)
    thread.start()
    thread.join(2 * timeout + 1.0)
    error = box.get("error")
    if thread.is_alive():
        raise TransientError(f"Dask scheduler {address}: no answer within {2 * timeout + 1:g} s")
    if isinstance(error, TransientError):
        raise TransientError(str(error)) from None
    if isinstance(error, _NoHandshake):
        raise TransientError(f"Dask scheduler {address}: the connection was accepted but no Dask handshake "
                             f"arrived within {timeout:g} s")
    reply = box.get("reply")
    if error is not None or not isinstance(reply, dict) or reply.get("type") != "Scheduler":
        if error is not None:
            what = type(error).__name__
        elif isinstance(reply, dict):
            what = f"it says it is a {reply.get('type', 'something else')}"
        else:
            what = repr(reply)[:60]
        raise ConfigError(f"Dask scheduler {address}: something answers there, but it is not a Dask scheduler "
                          f"({what}); check the host and port in {SCHEDULER_ENV}")
    return reply


def connect(address: str | None = None, timeout: float = CONNECT_TIMEOUT_S) -> "Client":
    """A ``Client`` connected to ``address`` (default ``$PHARMA_KIT_DASK_SCHEDULER``), or a clear error, fast.

    Malformed or unset address, or a peer that is not a Dask scheduler: :class:`ConfigError` (retrying will not
    help). Refused, unresolvable or silent: :class:`TransientError` within about ``timeout`` seconds.
    """
    if address is None:
        address = scheduler_address()
        if address is None:
            raise ConfigError(f"{SCHEDULER_ENV} is not set: name a Dask scheduler as tcp://host:port, "
                              f"or leave it unset and run in-process")
    address = parse_scheduler_address(address)
    _probe(address, timeout)
    from distributed import Client

    try:
        return Client(address, timeout=timeout, set_as_default=False)
    except (OSError, TimeoutError) as exc:
        raise TransientError(f"Dask scheduler {address}: {exc}") from None


# --------------------------------------------------------------------------------------------------
# the job: map (per file) -> shuffle (by key hash) -> reduce (per bucket)
# --------------------------------------------------------------------------------------------------
def dataset_files(dataset_dir: str | Path) -> list[str]:
    """The Parquet files of a (hive-partitioned) dataset, sorted: one map task each."""
    path = Path(dataset_dir)
    if not path.exists():
        raise InputFileError(f"{path}: no such file or directory")
    path = path.resolve()          # workers may run in another directory: hand them absolute paths
    files = [str(path)] if path.is_file() else sorted(str(p) for p in path.rglob("*.parquet"))
    if not files:
        raise InputFileError(f"{path}: no Parquet files found")
    return files


def _bucket_of(keys: np.ndarray, n_buckets: int) -> np.ndarray:
    """A key's bucket: a hash of the key modulo the bucket count (every row of a key lands in one bucket)."""
    return (pd.util.hash_array(keys) % np.uint64(n_buckets)).astype(np.int64)


def map_partials(frame: pd.DataFrame, spec: AggSpec, n_buckets: int) -> list[tuple]:
    """The map step on one typed frame: per-key partials and distinct pairs, split into ``n_buckets`` by key hash.

    Piece ``b`` is ``(partials, {distinct column: (key, value) pairs}, rows read, rows dropped)``; the row counts
    ride on piece 0 only. Rows with a missing value in a needed column are dropped (and counted).
    """
    n_read = len(frame)
    if frame[spec.columns].isna().to_numpy().any():
        # a key column with a null came out of Arrow as float64: back to int64, or 5.0 and 5 hash apart
        ints = {c: "int64" for c in (spec.by, *spec.distinct)}
        frame = frame.dropna(subset=spec.columns).astype(ints)
    dropped = n_read - len(frame)
    partial = chunk_partials(frame, spec.by, spec.value, spec.date)
    pairs = {d: frame[[spec.by, d]].drop_duplicates() for d in spec.distinct}
    pbucket = _bucket_of(partial[spec.by].to_numpy(), n_buckets)
    qbucket = {d: _bucket_of(p[spec.by].to_numpy(), n_buckets) for d, p in pairs.items()}
    return [(partial[pbucket == b], {d: p[qbucket[d] == b] for d, p in pairs.items()},
             n_read if b == 0 else 0, dropped if b == 0 else 0) for b in range(n_buckets)]


def read_typed(file: str, spec: AggSpec) -> pd.DataFrame:
    """The needed columns of one Parquet file, cast to the spec's explicit types (nothing inferred)."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    table = pq.read_table(file, columns=spec.columns)
    types = spec.arrow_types()
    return pa.table({c: pc.cast(table.column(c), types[c]) for c in spec.columns}).to_pandas()


def _month_partial(file: str, spec: AggSpec, n_buckets: int) -> tuple:
    """The map task: one file -> ``n_buckets`` pieces (see :func:`map_partials`)."""
    return tuple(map_partials(read_typed(file, spec), spec, n_buckets))


def _reduce_bucket(spec: AggSpec, *pieces: tuple) -> tuple[pd.DataFrame, int, int]:
    """The reduce task: merge one bucket's pieces from every file into final rows for that bucket's keys."""
    partials = [p[0] for p in pieces]
    out = combine_partials(partials, spec.by, spec.value, spec.date)
    for d in spec.distinct:
        counts = distinct_per_key([p[1][d] for p in pieces], spec.by, d)
        out[f"{d}_nunique"] = counts.reindex(out[spec.by]).to_numpy(dtype=np.int64)
    return out, sum(p[2] for p in pieces), sum(p[3] for p in pieces)


def _finish(spec: AggSpec, *buckets: tuple[pd.DataFrame, int, int]) -> tuple[pd.DataFrame, int, int]:
    """Concatenate the buckets' rows (each key is in exactly one), sorted by key, in ``aggregate_file``'s columns."""
    frames = [b[0] for b in buckets if len(b[0])] or [buckets[0][0]]
    out = pd.concat(frames, ignore_index=True).sort_values(spec.by, kind="stable", ignore_index=True)
    cols = spec.output_columns()
    out = out[cols]
    out = out.astype({spec.by: "int64", "rows": "int64", f"{spec.value}_sum": "float64",
                      f"{spec.value}_mean": "float64", f"{spec.value}_min": "float64",
                      f"{spec.value}_max": "float64", **{f"{d}_nunique": "int64" for d in spec.distinct}})
    if spec.date:
        out[f"last_{spec.date}"] = out[f"last_{spec.date}"].astype("datetime64[us]")
    return out, sum(b[1] for b in buckets), sum(b[2] for b in buckets)


def build_graph(files: Sequence[str], spec: AggSpec, n_buckets: int, run_id: str | None = None):
    """The job as a ``dask.delayed`` graph: ``len(files)`` map tasks, the split pieces, ``n_buckets`` reduces, one
    finish. Keys are named ``month-partial-<run>-<i>``, ``bucket-<run>-<b>``, ``finish-<run>``."""
    import dask

    run = run_id or uuid.uuid4().hex[:8]
    maps = [dask.delayed(_month_partial, pure=False, nout=n_buckets)(f, spec, n_buckets,
                                                                     dask_key_name=f"month-partial-{run}-{i}")
            for i, f in enumerate(files)]
    reduces = [dask.delayed(_reduce_bucket, pure=False)(spec, *[m[b] for m in maps], dask_key_name=f"bucket-{run}-{b}")
               for b in range(n_buckets)]
    return dask.delayed(_finish, pure=False)(spec, *reduces, dask_key_name=f"finish-{run}")


@dataclass
class ClusterRun:
    """What one run of the job did and cost (timings are measurements: printed, never asserted)."""

    where: str                       # "in-process" or the scheduler address
    workers: int                     # workers connected when the run started
    files: int                       # map tasks (one per Parquet file)
    buckets: int                     # reduce tasks (shuffle partitions)
    graph_tasks: int                 # tasks in the graph (maps, split pieces, reduces, finish)
    tasks_run: int                   # task executions the scheduler saw (more than graph_tasks after a recompute)
    bytes_moved: int                 # bytes workers fetched from other workers (the shuffle, as logged by workers)
    transfers: int                   # worker-to-worker fetches
    rows_read: int
    rows_dropped: int                # rows with a missing value (aggregate_file quarantines the same rows)
    wall_s: float                    # graph submitted -> result in the driver
    killed_pid: int | None = None    # the worker process killed mid-run (fault demo), else None
    extra: dict = field(default_factory=dict)

    @property
    def recomputed(self) -> int:
        """Task runs beyond one per graph task: work redone because a worker died with results in its memory."""
        return max(0, self.tasks_run - self.graph_tasks)

    def summary(self) -> str:
        kill = f"; worker pid {self.killed_pid} killed, {self.recomputed} task runs redone" if self.killed_pid else ""
        return (f"{self.where}: {self.workers} workers, {self.files} files -> {self.buckets} buckets, "
                f"{self.tasks_run} task runs ({self.graph_tasks} in the graph), {self.transfers} transfers moved "
                f"{self.bytes_moved / 2**20:.2f} MiB between workers, {self.wall_s:.2f} s{kill}")

    def as_dict(self) -> dict:
        return {**asdict(self), "recomputed": self.recomputed}


def _reset_transfer_logs(dask_worker) -> None:  # runs on each worker (client.run)
    dask_worker.transfer_incoming_log.clear()


def _transfer_totals(dask_worker) -> tuple[int, int]:  # runs on each worker (client.run)
    log = list(dask_worker.transfer_incoming_log)
    return len(log), int(sum(e["total"] for e in log))


def aggregate_files(files: Sequence[str], client: "Client | None" = None, spec: AggSpec = AggSpec(), *,
                    n_buckets: int | None = None, run_id: str | None = None,
                    _plugin: Any = None) -> tuple[pd.DataFrame, ClusterRun]:
    """Run the map-shuffle-reduce job over ``files`` on ``client`` (or in-process when ``None``); table + report."""
    import dask

    if not spec.date:
        raise ValueError("the cluster job needs a date column (last date per key)")
    files = list(files)
    if not files:
        raise InputFileError("no Parquet files to aggregate")
    run = run_id or uuid.uuid4().hex[:8]
    if client is None:
        buckets = n_buckets or 1
        graph = build_graph(files, spec, buckets, run)
        n_graph = len(graph.__dask_graph__())
        t0 = time.perf_counter()
        (table, rows, dropped), = dask.compute(graph, scheduler="synchronous")
        wall = time.perf_counter() - t0
        return table, ClusterRun("in-process", 0, len(files), buckets, n_graph, n_graph, 0, 0, rows, dropped, wall)

    from distributed import get_task_stream

    workers = len(client.nthreads())
    buckets = n_buckets or max(1, workers)
    graph = build_graph(files, spec, buckets, run)
    n_graph = len(graph.__dask_graph__())
    client.run(_reset_transfer_logs)
    name = None
    if _plugin is not None:
        name = f"pharma-kit-kill-{run}"
        client.register_plugin(_plugin, name=name)
    try:
        with get_task_stream(client=client) as stream:
            t0 = time.perf_counter()
            future = client.compute(graph)
            table, rows, dropped = future.result()
            wall = time.perf_counter() - t0
            del future
    finally:
        if name is not None:
            with contextlib.suppress(Exception):
                client.unregister_worker_plugin(name)
    totals = client.run(_transfer_totals)
    keys = {str(k) for k in graph.__dask_graph__()}
    runs = [str(t.get("key")) for t in stream.data if str(t.get("key")) in keys]
    report = ClusterRun(str(client.scheduler.address), workers, len(files), buckets, n_graph, len(runs),
                        sum(b for _, b in totals.values()), sum(n for n, _ in totals.values()), rows, dropped, wall)
    return table, report


def cluster_aggregate_report(dataset_dir: str | Path, client: "Client | None" = None, *, by: str = "customer_id",
                             value: str = "amount", date: str = "order_date",
                             distinct: Sequence[str] = ("order_id",),
                             n_buckets: int | None = None) -> tuple[pd.DataFrame, ClusterRun]:
    """The lesson 04 aggregation over month-partitioned Parquet on ``client`` (in-process if ``None``) + report."""
    spec = AggSpec(by, value, date, tuple(distinct))
    spec.columns  # validates
    return aggregate_files(dataset_files(dataset_dir), client, spec, n_buckets=n_buckets)


def cluster_aggregate(dataset_dir: str | Path, client: "Client | None" = None, **kwargs) -> pd.DataFrame:
    """Same table as ``chunked.aggregate_file(dataset_dir)``, computed by the map-shuffle-reduce graph."""
    return cluster_aggregate_report(dataset_dir, client, **kwargs)[0]


# --------------------------------------------------------------------------------------------------
# what the cluster adds and costs, and a worker dying mid-job
# --------------------------------------------------------------------------------------------------
def compare_with_single_process(dataset_dir: str | Path, client: "Client") -> dict:
    """Run the cluster job and ``chunked.aggregate_file`` on the same data; figures for the lesson (never asserted)."""
    from pharma_kit.chunked import aggregate_file

    table, run = cluster_aggregate_report(dataset_dir, client)
    t0 = time.perf_counter()
    single = aggregate_file(dataset_dir, progress=False)
    single_s = time.perf_counter() - t0
    return {"table": table, "single": single, "run": run, "single_s": single_s,
            "slowdown": run.wall_s / single_s if single_s > 0 else float("nan")}


class KillWorkerPlugin(WorkerPlugin):
    """A worker plugin that SIGKILLs its own worker process once, after ``after`` map results are in its memory.

    ``marker`` is a file path every worker can see (one machine here): the first worker to reach the count creates
    it exclusively and dies; the others, and the worker the nanny starts in its place, see it and carry on.
    The pid written into the marker is the process that was killed.
    """

    idempotent = False

    def __init__(self, marker: str, after: int = 2, prefix: str = "month-partial-") -> None:
        self.marker, self.after, self.prefix = marker, after, prefix
        self.done = 0

    def setup(self, worker) -> None:
        self.done = 0

    def transition(self, key, start, finish, **kwargs) -> None:
        if finish != "memory" or not str(key).startswith(self.prefix):
            return
        self.done += 1
        if self.done < self.after:
            return
        try:
            fd = os.open(self.marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            return
        os.write(fd, str(os.getpid()).encode())
        os.close(fd)
        os.kill(os.getpid(), signal.SIGKILL)


def run_with_killed_worker(dataset_dir: str | Path, client: "Client", *, after: int = 2,
                           wait_s: float = 60.0) -> tuple[pd.DataFrame, ClusterRun]:
    """The fault demo: one worker process is SIGKILLed mid-job (after it holds ``after`` map results); the scheduler
    notices, recomputes the lost partials elsewhere and the job finishes with the same table.

    Afterwards waits (up to ``wait_s``) for the nanny to bring the worker count back, so the cluster can be reused.
    """
    files = dataset_files(dataset_dir)
    before = len(client.nthreads())
    with tempfile.TemporaryDirectory(prefix="pharma-kit-kill-") as tmp:
        marker = os.path.join(tmp, "killed.pid")
        run = uuid.uuid4().hex[:8]
        plugin = KillWorkerPlugin(marker, after=after, prefix=f"month-partial-{run}-")
        with quiet_logs():
            table, report = aggregate_files(files, client, AggSpec(), run_id=run, _plugin=plugin)
            report.killed_pid = int(Path(marker).read_text()) if os.path.exists(marker) else None
            with contextlib.suppress(Exception):
                client.wait_for_workers(before, timeout=wait_s)
    report.extra["workers_after"] = len(client.nthreads())
    return table, report


__all__ = [
    "SCHEDULER_ENV", "CONNECT_TIMEOUT_S", "ClusterRun", "KillWorkerPlugin", "aggregate_files", "build_graph",
    "cluster_aggregate", "cluster_aggregate_report", "compare_with_single_process", "connect", "dataset_files",
    "local_client", "map_partials", "parse_scheduler_address", "read_typed", "quiet_logs", "run_with_killed_worker", "scheduler_address",
    "start_local_cluster",
]
