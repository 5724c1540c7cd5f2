"""Lesson 04 on a real Dask cluster: worker processes on 127.0.0.1, the same table as the single-process stream,
DuckDB and pandas; a worker killed mid-job changes nothing; a bad or unreachable scheduler fails fast and clearly.

One cluster for the module (2 worker processes x 1 thread), small data: the whole file stays well under a minute.
"""
from __future__ import annotations

import os
import socket
import threading
import time

import pytest

pytest.importorskip("distributed")

from pharma_kit import chunked as ch  # noqa: E402
from pharma_kit import cluster as cl  # noqa: E402
from pharma_kit import engines  # noqa: E402
from pharma_kit import formats as fm  # noqa: E402
from pharma_kit.data import clean_transactions, write_csv  # noqa: E402
from pharma_kit.errors import ConfigError, TransientError  # noqa: E402


@pytest.fixture(scope="module")
def feed(tmp_path_factory):
    root = tmp_path_factory.mktemp("l04cluster")
    csv = root / "feed.csv"
    write_csv(clean_transactions(20_000, seed=9), csv)
    pq_dir = root / "pq"
    fm.csv_to_parquet_by_month(csv, pq_dir, row_group_rows=4_096)
    return csv, pq_dir, ch.aggregate_file(pq_dir, progress=False)


@pytest.fixture(scope="module")
def client():
    with cl.local_client(n_workers=2, threads_per_worker=1) as c:
        yield c


def test_the_cluster_is_two_worker_processes_on_loopback(client):
    workers = client.scheduler_info()["workers"]
    assert len(workers) == 2
    assert all(addr.startswith("tcp://127.0.0.1:") for addr in workers)
    assert client.scheduler.address.startswith("tcp://127.0.0.1:")
    assert sorted(client.nthreads().values()) == [1, 1]
    assert all(w["memory_limit"] > 0 for w in workers.values())
    pids = client.run(os.getpid)
    assert len(set(pids.values())) == 2 and os.getpid() not in pids.values()  # real processes


def test_cluster_table_equals_the_stream_duckdb_and_pandas(client, feed):
    csv, pq_dir, stream = feed
    table, run = cl.cluster_aggregate_report(pq_dir, client)
    assert list(table.columns) == ch.AggSpec().output_columns()
    assert engines.same_result(stream, table) is None
    assert engines.same_result(engines.aggregate_duckdb(csv), table) is None
    assert engines.same_result(engines.aggregate_pandas_whole(csv), table) is None
    # the report is data about this run (figures, not timings, are checked)
    assert (run.workers, run.files, run.buckets) == (2, 24, 2)
    assert run.tasks_run == run.graph_tasks == 24 + 24 * 2 + 2 + 1
    assert run.rows_read == 20_000 and run.rows_dropped == 0
    assert run.bytes_moved >= 0 and run.wall_s > 0 and run.killed_pid is None


def test_in_process_runs_the_same_graph_to_the_same_table(feed):
    _, pq_dir, stream = feed
    table, run = cl.cluster_aggregate_report(pq_dir)            # no client: Dask's synchronous scheduler
    assert engines.same_result(stream, table) is None
    assert run.where == "in-process" and run.bytes_moved == 0


def test_another_key_and_two_distinct_columns(client, feed):
    _, pq_dir, _ = feed
    kw = dict(by="store_id", distinct=("customer_id", "product_id"))
    ours = ch.aggregate_file(pq_dir, progress=False, **kw)
    assert engines.same_result(ours, cl.cluster_aggregate(pq_dir, client, n_buckets=3, **kw)) is None


def test_rows_with_a_missing_value_are_dropped_like_the_stream(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    frame = clean_transactions(3_000, seed=5)[["customer_id", "amount", "order_date", "order_id"]]
    frame["customer_id"] = frame["customer_id"].astype("Int64")
    frame.loc[frame.index[::97], "customer_id"] = None
    frame.loc[frame.index[5::89], "amount"] = float("nan")
    path = tmp_path / "holes.parquet"
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path)
    stream, report = ch.aggregate_file_report(path, progress=False)
    table, run = cl.cluster_aggregate_report(path)
    assert report.rows_rejected > 0 and run.rows_dropped == report.rows_rejected
    assert engines.same_result(stream, table) is None
    # one file with holes, one without: a key must hash to the same bucket in both (int64, never 5.0 vs 5)
    clean = tmp_path / "clean.parquet"
    pq.write_table(pa.Table.from_pandas(clean_transactions(3_000, seed=5)[list(frame.columns)],
                                        preserve_index=False), clean)
    both, run = cl.aggregate_files([str(path), str(clean)], spec=ch.AggSpec(), n_buckets=4)
    assert both["customer_id"].is_unique and int(both["rows"].sum()) == 6_000 - run.rows_dropped


def test_a_worker_killed_mid_job_changes_nothing(client, feed):
    _, pq_dir, stream = feed
    table, run = cl.run_with_killed_worker(pq_dir, client, after=2)
    assert run.killed_pid is not None
    assert run.recomputed >= 1                    # results lost with the process were computed again
    assert engines.same_result(stream, table) is None
    assert run.extra["workers_after"] == 2        # the nanny started a new worker process
    assert run.killed_pid not in client.run(os.getpid).values()


def test_connect_by_environment_to_a_running_scheduler(client, feed, monkeypatch):
    _, pq_dir, stream = feed
    monkeypatch.setenv(cl.SCHEDULER_ENV, client.scheduler.address)
    assert cl.scheduler_address() == client.scheduler.address
    other = cl.connect()
    try:
        assert engines.same_result(stream, cl.cluster_aggregate(pq_dir, other)) is None
    finally:
        other.close()


# --------------------------------------------------------------------------------------------------
# bad addresses: fast, clear errors (no cluster needed)
# --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("address", ["localhost:8786", "tcp://localhost", "http://localhost:8786", "tcp://h:0",
                                     "tcp://h:99999", "tcp://:8786", "tcp://a b:1", "  "])
def test_malformed_address_is_a_config_error(address):
    t0 = time.perf_counter()
    with pytest.raises(ConfigError, match="PHARMA_KIT_DASK_SCHEDULER"):
        cl.connect(address)
    assert time.perf_counter() - t0 < 1


def test_unset_variable_means_in_process_and_connect_says_so(monkeypatch):
    monkeypatch.delenv(cl.SCHEDULER_ENV, raising=False)
    assert cl.scheduler_address() is None
    assert cl.scheduler_address({cl.SCHEDULER_ENV: " "}) is None
    with pytest.raises(ConfigError, match="not set"):
        cl.connect()
    with pytest.raises(ConfigError):
        cl.scheduler_address({cl.SCHEDULER_ENV: "8786"})


def _free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def _listener(reply: bytes):
    """A TCP server that accepts and then says ``reply`` (nothing at all when empty), keeping connections open."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(8)
    held = []

    def serve():
        while True:
            try:
                conn, _ = srv.accept()
            except OSError:
                return
            held.append(conn)
            if reply:
                conn.sendall(reply)

    threading.Thread(target=serve, daemon=True).start()
    return srv


def test_nothing_listening_is_transient_and_fast():
    t0 = time.perf_counter()
    with pytest.raises(TransientError, match="connection refused"):
        cl.connect(f"tcp://127.0.0.1:{_free_port()}", timeout=2)
    assert time.perf_counter() - t0 < 3


def test_a_silent_peer_is_transient_never_a_hang():
    srv = _listener(b"")                  # accepts, never answers: a bare Client(...) would wait forever
    try:
        t0 = time.perf_counter()
        with pytest.raises(TransientError, match="no Dask handshake"):
            cl.connect(f"tcp://127.0.0.1:{srv.getsockname()[1]}", timeout=1)
        assert time.perf_counter() - t0 < 4
    finally:
        srv.close()


def test_a_peer_that_is_not_a_scheduler_is_a_config_error():
    srv = _listener(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
    try:
        t0 = time.perf_counter()
        with pytest.raises(ConfigError, match="not a Dask scheduler"):
            cl.connect(f"tcp://127.0.0.1:{srv.getsockname()[1]}", timeout=1)
        assert time.perf_counter() - t0 < 4
    finally:
        srv.close()


def test_a_name_that_does_not_resolve_is_transient():
    with pytest.raises(TransientError, match="cannot resolve host"):
        cl.connect("tcp://no-such-scheduler.invalid:8786", timeout=2)


def test_a_worker_address_is_not_a_scheduler(client):
    worker = sorted(client.nthreads())[0]
    with pytest.raises(ConfigError, match="it says it is a Worker"):
        cl.connect(worker, timeout=2)


def test_the_kill_plugin_kills_once_after_the_count(tmp_path, monkeypatch):
    killed = []
    monkeypatch.setattr(cl.os, "kill", lambda pid, sig: killed.append((pid, sig)))
    marker = tmp_path / "killed.pid"
    first, second = cl.KillWorkerPlugin(str(marker), after=2, prefix="month-partial-r-"), \
        cl.KillWorkerPlugin(str(marker), after=1, prefix="month-partial-r-")
    first.setup(None)
    first.transition("month-partial-r-0", "executing", "memory")
    first.transition("bucket-r-0", "executing", "memory")          # not a map task: not counted
    first.transition("month-partial-r-1", "executing", "released")   # not a result in memory: not counted
    assert killed == [] and not marker.exists()
    first.transition("month-partial-r-2", "executing", "memory")
    assert killed == [(os.getpid(), cl.signal.SIGKILL)] and marker.read_text() == str(os.getpid())
    second.transition("month-partial-r-3", "executing", "memory")    # the marker exists: nobody else dies
    assert len(killed) == 1


def test_inputs_are_checked(tmp_path):
    from pharma_kit.errors import InputFileError

    with pytest.raises(InputFileError, match="no such file"):
        cl.dataset_files(tmp_path / "missing")
    with pytest.raises(InputFileError, match="no Parquet files"):
        cl.dataset_files(tmp_path)
    with pytest.raises(InputFileError):
        cl.aggregate_files([])
    with pytest.raises(ValueError, match="date column"):
        cl.aggregate_files(["x.parquet"], spec=ch.AggSpec(date=None))
    run = cl.ClusterRun("in-process", 0, 1, 1, 4, 5, 0, 0, 10, 0, 0.1, killed_pid=42)
    assert run.recomputed == 1 and run.as_dict()["recomputed"] == 1 and "pid 42 killed" in run.summary()


def test_port_8787_taken_is_no_warning():
    """Another cluster holding the default HTTP port (a learner's, a CI job's) must not print a warning into the
    lesson: the scheduler's HTTP server takes a free port instead."""
    import socket
    import warnings

    holder = socket.socket()
    try:
        try:
            holder.bind(("127.0.0.1", 8787))
            holder.listen()
        except OSError:
            pass  # already taken by someone else: the condition under test holds anyway
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            with cl.local_client(n_workers=1) as c:
                assert len(c.scheduler_info()["workers"]) == 1
        assert not [w for w in caught if "already in use" in str(w.message)]
    finally:
        holder.close()
