"""The abuse review (issue 15) as attacks on a running stack through nginx: each asserts the status,
what was stored, that no worker restarted, the memory the workers and nginx reached, and that a
legitimate exporter sending at the same time got only 200s. Loopback only, bounded in count and time."""
import gzip
import socket
import ssl
import subprocess
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import requests
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import KeyValue
from opentelemetry.sdk.trace.export import SpanExportResult

from conftest import BIN, Stack
from spans import chat_attributes, make_spans

PROTOBUF = "application/x-protobuf"


def export_request(spans: int = 1, extra: dict | None = None) -> ExportTraceServiceRequest:
    attributes = dict(chat_attributes(1), **(extra or {}))
    return encode_spans(make_spans([(f"chat {i}", attributes, 1000) for i in range(spans)]))


def post(stack, body: bytes, key: str | None = None, encoding: str | None = None, content_type: str = PROTOBUF, path="/v1/traces"):
    headers = {"Content-Type": content_type, "X-Ingate-Key": key or stack.key}
    if encoding:
        headers["Content-Encoding"] = encoding
    return requests.post(stack.url + path, data=body, headers=headers, verify=stack.cert, timeout=120)


def peak_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def nginx_pids(stack) -> list[int]:
    conf = str(stack.data / "run" / "nginx.conf")
    out = subprocess.run(["pgrep", "-f", conf], capture_output=True, text=True)
    master = [int(p) for p in out.stdout.split()]
    children = subprocess.run(["pgrep", "-P", ",".join(map(str, master))], capture_output=True, text=True) if master else None
    return master + ([int(p) for p in children.stdout.split()] if children else [])


def at_once(count: int, send) -> None:
    threads = [threading.Thread(target=send) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(300)


@contextmanager
def legitimate_exporter(stack):
    """A real OTLP exporter sending small GenAI exports the whole time; yields its results."""
    results: list = []
    stop = threading.Event()
    exporter = OTLPSpanExporter(endpoint=stack.traces_url, headers={"X-Ingate-Key": stack.key},
                                certificate_file=stack.cert, timeout=30)

    def run():
        while not stop.is_set():
            results.append(exporter.export(make_spans([("chat ok", chat_attributes(7), 1000)])))
            time.sleep(0.05)

    thread = threading.Thread(target=run)
    thread.start()
    try:
        yield results
    finally:
        stop.set()
        thread.join(60)
    assert results and all(r == SpanExportResult.SUCCESS for r in results), results


def test_a_hundred_thousand_dotted_segments_do_not_crash_the_worker(stack):
    pids = stack.worker_pids()
    request = export_request(extra={"gen_ai.prompt.0" + ".a" * 100_000: "x"})
    body = gzip.compress(request.SerializeToString(), 9)
    assert len(body) < 2_000
    with legitimate_exporter(stack):
        before = stack.count()
        assert [post(stack, body, encoding="gzip").status_code for _ in range(5)] == [200] * 5
    assert stack.count() >= before + 1
    assert stack.worker_pids() == pids


def test_a_small_body_cannot_write_hundreds_of_megabytes(stack):
    def db_bytes() -> int:
        if stack.is_postgres:
            return int(stack.scalar("SELECT pg_database_size(current_database())"))
        return sum(Path(stack.db + s).stat().st_size for s in ("", "-wal") if Path(stack.db + s).exists())
    request = export_request(spans=50)
    request.resource_spans[0].resource.attributes.append(KeyValue(key="junk"))
    request.resource_spans[0].resource.attributes[-1].value.string_value = "\x01" * (1 << 20)
    body = gzip.compress(request.SerializeToString(), 9)
    assert len(body) < 4_000
    before_rows, before_bytes = stack.count(), db_bytes()
    assert post(stack, body, encoding="gzip").status_code == 200
    assert stack.count() == before_rows + 50
    grown = db_bytes() - before_bytes
    assert grown < 20 << 20, f"50 rows with one 1 MiB resource grew the database by {grown} bytes"

    # ~64 MiB of control bytes in one attribute would be stored as ~377 MB of JSON escapes.
    huge = export_request(extra={"gen_ai.prompt": "x", "junk": "\x01" * (15 << 20)})
    for _ in range(3):
        huge.resource_spans[0].scope_spans[0].spans[0].attributes.append(KeyValue(key=f"junk{_}"))
        huge.resource_spans[0].scope_spans[0].spans[0].attributes[-1].value.string_value = "\x01" * (15 << 20)
    response = post(stack, gzip.compress(huge.SerializeToString(), 9), encoding="gzip")
    assert response.status_code == 413, response.content[:200]
    assert stack.count() == before_rows + 50


def test_sixteen_worst_case_requests_keep_the_worker_under_512_mib(own_stack):
    [worker] = own_stack.worker_pids()
    big = export_request(extra={f"gen_ai.big.{i}": "y" * (15 << 20) for i in range(4)})
    body = gzip.compress(big.SerializeToString(), 6)
    statuses: list[int] = []

    def send():
        statuses.append(post(own_stack, body, encoding="gzip").status_code)

    with legitimate_exporter(own_stack):
        at_once(16, send)
    peak = peak_kib(worker) / 1024
    print(f"\n16 x (4 x 15 MiB strings): statuses {sorted(statuses)}, worker peak RSS {peak:.0f} MiB")
    assert set(statuses) <= {200, 503} and 200 in statuses, statuses
    assert peak < 512, f"worker peak RSS {peak:.0f} MiB"
    assert own_stack.worker_pids() == [worker]


def tiny_attribute_export(spans: int, attributes: int) -> bytes:
    """GenAI spans of `attributes` empty attributes each, written on the wire by hand: two bytes
    an attribute, where the protobuf library would take seconds to build the message."""
    def field(number: int, payload: bytes) -> bytes:
        length, varint = len(payload), bytearray()
        while True:
            byte, length = length & 0x7F, length >> 7
            varint.append(byte | (0x80 if length else 0))
            if not length:
                break
        return bytes([number << 3 | 2]) + bytes(varint) + payload
    genai = field(9, field(1, b"gen_ai.system") + field(2, field(1, b"openai")))
    empty = field(9, b"") * (attributes - 1)
    body = b"".join(field(2, field(1, i.to_bytes(16, "big")) + field(2, (i + 1).to_bytes(8, "big")) + field(5, b"chat") + genai + empty)
                    for i in range(spans))
    return gzip.compress(field(1, field(2, body)), 6)


def test_millions_of_tiny_attributes_cost_what_they_are_not_what_they_weigh(own_stack):
    [worker] = own_stack.worker_pids()
    before = own_stack.count()
    # 32 M empty attributes in a 320 KB body (64 MiB inflated) took 2.7 GB and 32 s, then 200.
    bomb = tiny_attribute_export(spans=7_900, attributes=4_096)
    assert len(bomb) < 400_000
    # 1.2 M attributes in 11 KB: fits the budget alone, one or two at a time.
    heavy = tiny_attribute_export(spans=300, attributes=2_048)
    statuses: list[int] = []
    with legitimate_exporter(own_stack):
        response = post(own_stack, bomb, encoding="gzip")
        assert response.status_code == 413, response.content[:200]
        assert b"more than 2000000" in response.content
        at_once(16, lambda: statuses.append(post(own_stack, heavy, encoding="gzip").status_code))
    peak = peak_kib(worker) / 1024
    print(f"\n32 M tiny attributes: 413; 16 x 1.2 M: statuses {sorted(statuses)}, worker peak RSS {peak:.0f} MiB")
    assert set(statuses) <= {200, 503} and 200 in statuses, statuses
    assert peak < 512, f"worker peak RSS {peak:.0f} MiB"
    assert own_stack.worker_pids() == [worker]
    # Every heavy export has the same 300 span ids: stored once.
    assert own_stack.count() - before >= 300


def test_unauthenticated_slow_uploads_get_401_before_any_body_is_read(own_stack):
    host, port = "127.0.0.1", own_stack.port
    context = ssl.create_default_context(cafile=own_stack.cert)
    nginx_before = sum(peak_kib(p) for p in nginx_pids(own_stack))
    sockets = []
    started = time.time()
    try:
        for _ in range(60):
            raw = socket.create_connection((host, port), timeout=10)
            tls = context.wrap_socket(raw, server_hostname="localhost")
            tls.sendall(b"POST /v1/traces HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-protobuf\r\n"
                        b"X-Ingate-Key: sk-ingate-0000000000000000000000000000\r\nContent-Length: 4194304\r\n\r\nx")
            sockets.append(tls)
        answers = [s.recv(200).split(b"\r\n", 1)[0] for s in sockets]
    finally:
        for s in sockets:
            s.close()
    elapsed = time.time() - started
    assert all(b" 401 " in a or b" 429 " in a for a in answers), answers[:3]
    assert elapsed < 30
    nginx_after = sum(peak_kib(p) for p in nginx_pids(own_stack))
    print(f"\n60 slow wrong-key uploads answered in {elapsed:.1f} s; nginx peak RSS {nginx_before / 1024:.0f} -> {nginx_after / 1024:.0f} MiB")
    assert nginx_after - nginx_before < 64 << 10   # not 60 x 4 MiB of buffered bodies


def test_log_and_terminal_injection_is_escaped(stack):
    forged = "/v1/traces%0a2026-01-01T00:00:00+0000 critical ingate-otel: forged%1b]0;owned%07"
    response = requests.post(stack.url + forged, data=b"{}", headers={"Content-Type": "application/json"},
                             verify=stack.cert, timeout=30)
    assert response.status_code in (401, 404)
    time.sleep(0.3)
    log = stack.log_lines()
    assert not any(line.startswith("2026-01-01") for line in log.splitlines())
    assert "\x1b" not in log and "\x07" not in log

    model = "gpt-4o\n999 forged row\x1b[31m\u202e"
    request = export_request(extra={"gen_ai.request.model": model, "gen_ai.prompt": "hi\x1b]52;c;cHduZWQ=\x07"})
    assert post(stack, request.SerializeToString()).status_code == 200
    table = stack.cli("logs", "--limit", "200").stdout
    assert "\x1b" not in table and "\u202e" not in table and "\x07" not in table
    assert not any(line.startswith("999 forged row") for line in table.splitlines())
    assert "gpt-4o\\n999 forged row\\u{1B}[31m\\u{202E}" in table
    stats = stack.cli("stats", "--since", "3650d").stdout
    assert "\x1b" not in stats and "\\u{1B}" in stats


def test_text_with_a_nul_is_stored_whole(stack):
    request = export_request(extra={"gen_ai.prompt": "visible\x00hidden"})
    trace_id = request.resource_spans[0].scope_spans[0].spans[0].trace_id.hex()
    assert post(stack, request.SerializeToString()).status_code == 200
    [row] = stack.rows("trace_id = ?", (trace_id,))
    # PostgreSQL's text cannot hold NUL: the store there writes U+FFFD in its place (README), not less.
    assert row["prompt"] == ("visible\ufffdhidden" if stack.is_postgres else "visible\x00hidden")


def test_gzip_trailing_bytes_are_400_and_concatenated_members_are_read(stack):
    one, two = export_request(), export_request()
    before = stack.count()
    trailing = post(stack, gzip.compress(one.SerializeToString()) + b"junk after the member", encoding="gzip")
    assert trailing.status_code == 400
    assert stack.count() == before
    members = gzip.compress(one.SerializeToString()) + gzip.compress(two.SerializeToString())
    assert post(stack, members, encoding="gzip").status_code == 200
    assert stack.count() == before + 2


def test_two_hundred_thousand_skipped_spans_are_accepted(stack):
    request = export_request()
    template = request.resource_spans[0].scope_spans[0].spans[0]
    scope = request.resource_spans[0].scope_spans[0]
    for n in range(200_000):
        span = scope.spans.add()
        span.trace_id = template.trace_id
        span.span_id = (n + 1).to_bytes(8, "big")
        span.name = "GET /health"
        span.attributes.add(key="http.method").value.string_value = "GET"
    plain = request.SerializeToString()
    assert len(plain) < 64 << 20 and len(plain) > 4 << 20
    before = stack.count()
    response = post(stack, gzip.compress(plain, 6), encoding="gzip")
    assert response.status_code == 200, response.content[:200]
    assert stack.count() == before + 1


def test_an_int_value_that_is_not_an_integer_is_400(stack):
    body = ('{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"5b8efff798038103d269b633813fc60c",'
            '"spanId":"eee19b7ec3c1b1aa","name":"chat","attributes":['
            '{"key":"gen_ai.request.model","value":{"stringValue":"gpt-4o"}},'
            '{"key":"gen_ai.usage.input_tokens","value":{"intValue":"12abc"}}]}]}]}]}')
    before = stack.count()
    response = post(stack, body.encode(), content_type="application/json")
    assert response.status_code == 400
    assert "intValue" in response.json()["message"]
    assert stack.count() == before


def test_a_corrupt_database_is_refused_at_start_naming_it(tmp_path):
    path = tmp_path / "ingate.db"
    path.write_bytes(b"this is not a database" * 500)
    done = subprocess.run([BIN, "serve", "--db", str(path), "--socket", str(tmp_path / "s.sock")],
                          capture_output=True, text=True, timeout=10)
    assert done.returncode != 0
    assert "corrupt or not a database" in done.stderr and str(path) in done.stderr


def test_edge_details_exact_paths_no_version_no_query_in_the_access_log(own_stack):
    stack = own_stack
    response = post(stack, export_request().SerializeToString(), path="/v1/anything/at/all/v1/traces")
    assert response.status_code == 404
    assert response.headers["Server"] == "nginx"
    ok = post(stack, export_request().SerializeToString(), path="/v1/traces?secret=q-string-1234")
    assert ok.status_code == 200
    time.sleep(0.2)
    assert "q-string-1234" not in (stack.data / "access.log").read_text()
    assert "Authorization: Digest" not in stack.text()
    # The keyless map is anchored: a key-shaped word inside another scheme is not a key.
    statuses = [requests.post(stack.traces_url, data=b"x", verify=stack.cert, timeout=30,
                              headers={"Content-Type": PROTOBUF,
                                       "Authorization": "Digest junk sk-ingate-0000000000000000000000"}).status_code
                for _ in range(40)]
    assert 429 in statuses and set(statuses) <= {401, 429}
    # A guesser's 429 comes from the responder's verdict, in the request's encoding, with Retry-After.
    guesses = [post(stack, b"x", key=f"sk-ingate-guess{n:020d}") for n in range(22)]
    limited = guesses[-1]
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) > 0
    assert limited.headers["Content-Type"] == PROTOBUF and b"too many failed authentications" in limited.content


def test_open_uploads_per_address_are_capped(tmp_path):
    stack = Stack(tmp_path, threads=2, env={"INGATE_CONN_PER_ADDRESS": "4"})
    context = ssl.create_default_context(cafile=stack.cert)
    sockets = []
    try:
        with legitimate_exporter(stack) as results:
            time.sleep(0.5)
            answers = []
            for _ in range(8):
                tls = context.wrap_socket(socket.create_connection(("127.0.0.1", stack.port), timeout=10), server_hostname="localhost")
                tls.sendall(b"POST /v1/traces HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-protobuf\r\n"
                            + f"X-Ingate-Key: {stack.key}\r\nContent-Length: 100000\r\n\r\nx".encode())
                sockets.append(tls)
            time.sleep(1)
            for tls in sockets:
                tls.setblocking(False)
                try:
                    answers.append(tls.recv(100).split(b"\r\n", 1)[0])
                except (ssl.SSLWantReadError, BlockingIOError):
                    answers.append(b"(uploading)")
            for tls in sockets:
                tls.close()
            sockets.clear()
            # The exporter's own requests may meet the cap while the uploads hold it; it retries.
        refused = [a for a in answers if b" 429 " in a]
        print(f"\n8 slow uploads with a cap of 4: {answers}")
        assert len(refused) >= 4 - 1 and b"(uploading)" in answers
    finally:
        for tls in sockets:
            tls.close()
        stack.stop()


def test_the_site_takes_its_numbers_from_the_receivers_list_of_limits(stack):
    limits = dict(line.split("=", 1) for line in subprocess.run([BIN, "limits", "--env"], capture_output=True, text=True,
                                                                 check=True).stdout.split())
    site = (stack.data / "run" / "site.conf").read_text()
    assert f"client_max_body_size {limits['INGATE_LIMIT_BODY_BYTES']};" in site
    assert f"client_body_buffer_size {limits['INGATE_LIMIT_BODY_BUFFER_BYTES']};" in site
    assert f"rate={limits['INGATE_LIMIT_KEYLESS_RATE']}r/s;" in site
    assert f"client_body_timeout {limits['INGATE_LIMIT_BODY_TIMEOUT_SECONDS']}s;" in site
    assert f"over the {int(limits['INGATE_LIMIT_BODY_BYTES']) >> 20} MiB limit" in site
