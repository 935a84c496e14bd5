"""The Debian package (`make deb`) as an operator installs it: `dpkg -i`, the site rendered from
the packaged template, the packaged responder started as its units say (socket activation, as
the packaged user), a real export through nginx, then `dpkg --purge`. Needs root, as CI is, and
INGATE_DEB, the package file (`make test` builds it and sets it)."""
import os
import pwd
import shlex
import sqlite3
import stat
import subprocess
import tempfile
import time
from pathlib import Path

from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.trace.export import SpanExportResult

from conftest import free_port, nginx_conf
from spans import chat_attributes, hex_trace, make_spans

DEB = os.environ.get("INGATE_DEB", "")
DATA = Path("/var/lib/ingate-otel")
UNITS = Path("/lib/systemd/system")

def run(*command: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(command, capture_output=True, text=True, timeout=120, **kwargs)


def test_the_package_installs_serves_an_export_and_purges():
    assert DEB and Path(DEB).is_file(), "INGATE_DEB must name the package (make test builds it)"
    assert os.geteuid() == 0, "dpkg -i needs root"
    installed = run("dpkg", "-i", DEB)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    processes: list[subprocess.Popen] = []
    try:
        # The Swift runtime is inside: nothing from the toolchain is linked.
        linked = run("ldd", "/usr/bin/ingate-otel").stdout
        assert "swift" not in linked.lower() and "not found" not in linked, linked
        assert run("env", "-i", "PATH=/usr/bin:/bin", "/usr/bin/ingate-otel", "--version").stdout.strip()
        assert Path("/usr/share/man/man1/ingate-otel.1.gz").is_file()
        user = pwd.getpwnam("ingate")
        info = DATA.stat()
        assert (info.st_uid, stat.S_IMODE(info.st_mode)) == (user.pw_uid, 0o750)

        exec_start = next(line.split("=", 1)[1] for line in (UNITS / "ingate-otel.service").read_text().splitlines()
                          if line.startswith("ExecStart="))
        assert exec_start.startswith("/usr/bin/ingate-otel serve --db /var/lib/ingate-otel/ingate.db")
        assert "ListenStream=/run/ingate-otel.sock" in (UNITS / "ingate-otel.socket").read_text()

        key = run("runuser", "-u", "ingate", "--", "/usr/bin/ingate-otel", "keys", "create", "--name", "package-test",
                  "--db", str(DATA / "ingate.db")).stdout.strip().splitlines()[-1]
        with tempfile.TemporaryDirectory(prefix="ingate-deb-") as folder:
            folder_path = Path(folder)
            folder_path.chmod(0o755)
            sockets = folder_path / "sockets"
            sockets.mkdir()
            os.chown(sockets, user.pw_uid, user.pw_gid)
            socket_path = sockets / "ingate-otel.sock"
            # As systemd would: hold the socket, start the unit's command on the first connection, as its user.
            processes.append(subprocess.Popen(["runuser", "-u", "ingate", "--", "systemd-socket-activate", "-l", str(socket_path),
                                               "--", *shlex.split(exec_start)], start_new_session=True))
            for _ in range(100):
                if socket_path.exists():
                    break
                time.sleep(0.05)
            os.chmod(socket_path, 0o666)

            run_dir = folder_path / "run"
            run_dir.mkdir()
            cert, cert_key = folder_path / "cert.pem", folder_path / "key.pem"
            assert run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
                       "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(cert_key), "-out", str(cert)).returncode == 0
            port = free_port()
            site = run("/usr/share/ingate-otel/nginx/render", "site", f"127.0.0.1:{port}", "localhost", str(cert), str(cert_key),
                       str(socket_path), str(folder_path / "access.log"))
            assert site.returncode == 0, site.stderr
            (run_dir / "site.conf").write_text(site.stdout)
            (run_dir / "nginx.conf").write_text(nginx_conf(run_dir))
            processes.append(subprocess.Popen(["nginx", "-c", str(run_dir / "nginx.conf"), "-p", str(run_dir)],
                                              start_new_session=True))
            exporter = OTLPSpanExporter(endpoint=f"https://127.0.0.1:{port}/v1/traces", headers={"X-Ingate-Key": key},
                                        certificate_file=str(cert), timeout=10)
            spans = make_spans([("chat", chat_attributes(7), 10)], service="packaged")
            deadline = time.time() + 15
            result = SpanExportResult.FAILURE
            while time.time() < deadline and result != SpanExportResult.SUCCESS:
                result = exporter.export(spans)
                time.sleep(0.2)
            assert result == SpanExportResult.SUCCESS
            with sqlite3.connect(DATA / "ingate.db") as db:
                rows = db.execute("SELECT service_name, model, input_tokens FROM llm_logs WHERE trace_id = ?",
                                  (hex_trace(spans[0]),)).fetchall()
            assert rows == [("packaged", "gpt-4o", 107)]
    finally:
        for process in processes:
            try:
                os.killpg(process.pid, 15)
                process.wait(timeout=30)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                os.killpg(process.pid, 9)
        purged = run("dpkg", "--purge", "ingate-otel")
    assert purged.returncode == 0, purged.stdout + purged.stderr
    assert not DATA.exists() and not Path("/usr/bin/ingate-otel").exists()
    assert pwd.getpwnam("ingate")   # the user stays, as Debian practice has it
