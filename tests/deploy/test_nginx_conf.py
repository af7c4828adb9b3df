"""deploy/nginx.conf as shipped: `nginx -t` accepts it with a certificate in place, and nginx started from
it (ports and upstreams moved to this test's 127.0.0.1 ports) ends TLS 1.2+/1.3 in front of a real app,
sends HSTS on every answer and redirects plain HTTP to HTTPS."""

from __future__ import annotations

import asyncio
import re
import shutil
import ssl
import subprocess
from pathlib import Path

import aiohttp
import pytest

from tests.support.processes import free_port

CONF = Path(__file__).resolve().parents[2] / "deploy" / "nginx.conf"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
HSTS = "max-age=63072000; includeSubDomains"


@pytest.fixture
def certificate(tmp_path) -> tuple[Path, Path]:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out",
                    str(cert), "-days", "1", "-subj", "/CN=localhost"], check=True, capture_output=True)
    return cert, key


def prepared(tmp_path: Path, certificate, *, http_port: int = 80, https_port: int = 443,
             upstream: int | None = None) -> Path:
    cert, key = certificate
    text = CONF.read_text()
    assert "/etc/ssl/fadjma/fullchain.pem" in text and "/etc/ssl/fadjma/privkey.pem" in text
    text = text.replace("/etc/ssl/fadjma/fullchain.pem", str(cert)).replace("/etc/ssl/fadjma/privkey.pem", str(key))
    if upstream is not None:
        text = text.replace("listen 80;", f"listen 127.0.0.1:{http_port};")
        text = text.replace("listen 443 ssl;", f"listen 127.0.0.1:{https_port} ssl;")
        text = re.sub(r"server 127\.0\.0\.1:500\d;", f"server 127.0.0.1:{upstream};", text)
        text = text.replace("worker_processes auto;", "worker_processes 1;")
        temp = "".join(f"    {name}_temp_path {tmp_path / name};\n"
                       for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
        text = text.replace("http {\n", "http {\n" + temp + f"    access_log {tmp_path / 'access.log'};\n", 1)
    path = tmp_path / "nginx.conf"
    path.write_text(text)
    return path


def nginx(tmp_path: Path, conf: Path, *extra: str, **kw):
    return subprocess.run([NGINX, "-p", str(tmp_path), "-c", str(conf), "-g",
                           f"pid {tmp_path / 'nginx.pid'}; error_log stderr;", *extra], **kw)


def test_the_shipped_file_is_valid_with_tls_and_hsts(tmp_path, certificate):
    text = CONF.read_text()
    assert re.search(r"ssl_protocols\s+TLSv1\.2 TLSv1\.3;", text)
    assert f'add_header Strict-Transport-Security "{HSTS}" always;' in text
    done = nginx(tmp_path, prepared(tmp_path, certificate), "-t", capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "test is successful" in done.stderr


async def test_nginx_serves_the_app_over_tls_with_hsts(tmp_path, certificate, client):
    http_port, https_port = free_port(), free_port()
    conf = prepared(tmp_path, certificate, http_port=http_port, https_port=https_port, upstream=client.server.port)
    proc = await asyncio.create_subprocess_exec(
        NGINX, "-p", str(tmp_path), "-c", str(conf), "-g",
        f"pid {tmp_path / 'nginx.pid'}; error_log stderr; daemon off;", stderr=asyncio.subprocess.PIPE)
    insecure = ssl.create_default_context()
    insecure.check_hostname, insecure.verify_mode = False, ssl.CERT_NONE
    try:
        async with aiohttp.ClientSession() as session:
            for _ in range(200):  # nginx binds in well under a second; a loaded CI machine gets 20 s
                try:
                    resp = await session.get(f"https://127.0.0.1:{https_port}/health", ssl=insecure)
                    break
                except aiohttp.ClientConnectorError:
                    assert proc.returncode is None, await proc.stderr.read()
                    await asyncio.sleep(0.1)
            assert resp.status == 200 and await resp.json() == {"status": "ok"}
            assert resp.headers["Strict-Transport-Security"] == HSTS
            assert resp.headers["Server"] == "nginx"  # server_tokens off: no version
            missing = await session.get(f"https://127.0.0.1:{https_port}/api/nothing-here", ssl=insecure)
            assert missing.status == 404 and missing.headers["Strict-Transport-Security"] == HSTS
            plain = await session.get(f"http://127.0.0.1:{http_port}/health?x=1", allow_redirects=False)
            assert plain.status == 301 and plain.headers["Location"] == "https://127.0.0.1/health?x=1"
        for version in (ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3):  # both served (the "intermediate" profile)
            only = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            only.check_hostname, only.verify_mode = False, ssl.CERT_NONE
            only.minimum_version = only.maximum_version = version
            _, writer = await asyncio.open_connection("127.0.0.1", https_port, ssl=only)
            assert writer.get_extra_info("ssl_object").version() == version.name.replace("_", ".")
            writer.close()
    finally:
        proc.terminate()
        await asyncio.wait_for(proc.wait(), 20)
