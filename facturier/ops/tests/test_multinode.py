"""Several machines: two web processes (gunicorn) and a job worker share one PostgreSQL database and one
S3-compatible bucket, and a user may land on either node at each request.

Node A takes the login, a receipt's upload, an invoice issued through the API and the export request;
node B, which holds nothing of its own, serves the receipt, the invoice's kept PDF and, once the worker has
made it, the export. The nodes run in production mode (DEBUG off, no collectstatic).
"""

import datetime
import hashlib
import io
import os
import re
import socket
import subprocess
import sys
import time
import uuid
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from django.db import connection

from facturier.api.tests.conftest import token_of
from facturier.billing.models import Client, Document
from facturier.billing.tests.factories import line, make_client, make_invoice
from facturier.conftest import PASSWORD, S3_BUCKET, moto_server
from facturier.exports.models import ExportJob, ExportStatus
from facturier.ops.storage import s3_storage
from facturier.purchases.models import Attachment
from facturier.purchases.tests.conftest import PDF, form_data

ROOT = Path(__file__).resolve().parents[3]
# More documents than the PDF ZIP's inline limit (30): the export goes to the worker.
INVOICES_BEFORE = 30

pytestmark = [
    pytest.mark.multinode,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="several processes share one database: PostgreSQL only (SQLite's test database is in memory)",
    ),
    pytest.mark.django_db(transaction=True),
]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def s3_endpoint(object_store) -> Iterator[str]:
    if object_store is not None:
        yield object_store
        return
    with moto_server() as endpoint:
        yield endpoint


@pytest.fixture
def shared_storage(settings, s3_endpoint, monkeypatch) -> dict[str, str]:
    """This test process and the nodes read and write the same prefix of the bucket: the variables of a
    production node."""
    prefix = f"multinode/{uuid.uuid4().hex}"
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    settings.STORAGES = {
        **settings.STORAGES,
        "default": s3_storage(S3_BUCKET, s3_endpoint, "us-east-1", prefix),
    }
    return {
        "FACTURIER_S3_BUCKET": S3_BUCKET,
        "FACTURIER_S3_ENDPOINT_URL": s3_endpoint,
        "FACTURIER_S3_REGION": "us-east-1",
        "FACTURIER_S3_PREFIX": prefix,
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
    }


class Cluster:
    def __init__(self, tmp_path: Path, storage: dict[str, str]) -> None:
        database = connection.settings_dict
        self.env = {
            **{k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "TASKS_BACKEND")},
            **storage,
            "PYTHONPATH": str(ROOT),
            "DEBUG": "false",
            "SECRET_KEY": "multinode-" + "k" * 40,
            "ALLOWED_HOSTS": "127.0.0.1",
            "SECURE_COOKIES": "false",  # plain http on the loopback
            "DATABASE_URL": (
                f"postgres://{database['USER']}:{database['PASSWORD'] or ''}@{database['HOST'] or '127.0.0.1'}:"
                f"{database['PORT'] or 5432}/{database['NAME']}"
            ),
            "FACTURIER_VAR_DIR": str(tmp_path / "var"),
            "FACTURIER_BASE_URL": "http://127.0.0.1",
            "LOG_FORMAT": "text",
            "LOG_LEVEL": "WARNING",
        }
        self.logs = tmp_path / "logs"
        self.logs.mkdir()
        self.processes: list[subprocess.Popen[bytes]] = []
        self.nodes: list[str] = []

    def _start(self, name: str, command: list[str]) -> None:
        log = (self.logs / f"{name}.log").open("wb")
        self.processes.append(
            subprocess.Popen(command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603
        )

    def start(self) -> None:
        for name in ("a", "b"):
            port = _free_port()
            gunicorn = [sys.executable, "-m", "gunicorn", "facturier.wsgi", "--workers", "1"]
            self._start(f"web-{name}", [*gunicorn, "--bind", f"127.0.0.1:{port}", "--timeout", "60"])
            self.nodes.append(f"http://127.0.0.1:{port}")
        worker = [sys.executable, "-m", "facturier", "run_worker", "--no-startup-delay", "--interval", "0.2"]
        self._start("worker", worker)
        deadline = time.monotonic() + 30
        for node in self.nodes:
            while True:
                try:
                    if requests.get(f"{node}/readyz", timeout=10).status_code == 200:
                        break
                except (requests.ConnectionError, requests.Timeout):
                    pass
                assert time.monotonic() < deadline, f"{node} did not start: {self.output()}"
                assert all(p.poll() is None for p in self.processes), self.output()
                time.sleep(0.2)

    def stop(self) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def output(self) -> str:
        return "\n".join(f"--- {log.name}\n{log.read_text()[-3000:]}" for log in sorted(self.logs.iterdir()))


@pytest.fixture
def cluster(tmp_path, shared_storage) -> Iterator[Cluster]:
    nodes = Cluster(tmp_path, shared_storage)
    try:
        nodes.start()
        yield nodes
    finally:
        nodes.stop()


def _csrf(session: requests.Session, url: str) -> str:
    page = session.get(url, timeout=20)
    assert page.status_code == 200, url
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert match, url
    return match.group(1)


def test_two_web_nodes_and_a_worker_share_the_database_and_the_files(
    settings, owner, acme, shared_storage, cluster
):
    # The nodes hash passwords with argon2 (and read PBKDF2): not the tests' fast MD5.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    owner.set_password(PASSWORD)
    owner.save()
    buyer = make_client(acme)
    for _ in range(INVOICES_BEFORE):
        make_invoice(acme, buyer, lines=[line("Conseil", "1", "100", "20")])
    supplier = Client.objects.create(
        account=acme, kind=Client.Kind.SUPPLIER, name="Bureau Vallée", country="FR"
    )
    node_a, node_b = cluster.nodes
    user = requests.Session()

    # Node A: log in.
    login = user.post(
        f"{node_a}/login/",
        {"csrfmiddlewaretoken": _csrf(user, f"{node_a}/login/"), "email": owner.email, "password": PASSWORD},
        timeout=20,
    )
    assert login.status_code == 200 and login.url.startswith(node_a), cluster.output()
    assert "/login/" not in login.url

    # Node A: an expense with its receipt; node B serves the receipt.
    today = acme.today().isoformat()
    form = form_data(supplier, [{"name": "Ramettes", "quantity": "1", "unit_price": "10", "vat_rate": "20"}])
    form.update(issue_date=today, due_date=today)
    new_expense = f"{node_a}/acme/expenses/new/"
    created = user.post(
        new_expense,
        {**form, "csrfmiddlewaretoken": _csrf(user, new_expense)},
        files=[("attachments", ("recu.pdf", PDF, "application/pdf"))],
        timeout=20,
    )
    assert created.status_code == 200 and "/expenses/new/" not in created.url, cluster.output()
    attachment = Attachment.objects.get(expense__account=acme)
    receipt = user.get(f"{node_b}/acme/expenses/attachments/{attachment.pk}/", timeout=20)
    assert receipt.status_code == 200 and receipt.content == PDF

    # Node A: an invoice issued through the API; node B serves the PDF kept at issue.
    issued = requests.post(
        f"{node_a}/invoices.json",
        params={"api_token": token_of(owner, acme)},
        json={
            "invoice": {
                "client_id": buyer.pk,
                "positions": [{"name": "Audit", "quantity": 1, "price_net": "500", "tax": "20"}],
            }
        },
        timeout=20,
    )
    assert issued.status_code == 201, issued.text
    document = Document.objects.get(pk=issued.json()["id"])
    pdf = user.get(f"{node_b}/acme/documents/{document.pk}/pdf/", timeout=20)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert hashlib.sha256(pdf.content).hexdigest() == document.pdf_sha256

    # Node A: the ZIP of every PDF and receipt, too large to make in the request; the worker makes it,
    # node B follows it and serves the file.
    exports = f"{node_a}/acme/exports/"
    start = (acme.today() - datetime.timedelta(days=1)).isoformat()
    queued = user.post(
        exports,
        {
            "csrfmiddlewaretoken": _csrf(user, exports),
            "format": "pdf-zip",
            "period": "custom",
            "date_from": start,
            "date_to": today,
        },
        timeout=20,
    )
    job = ExportJob.objects.get(account=acme)
    assert queued.status_code == 200 and queued.url.endswith(f"/acme/exports/{job.pk}/"), cluster.output()
    deadline = time.monotonic() + 40
    while (
        page := user.get(f"{node_b}/acme/exports/{job.pk}/", timeout=20)
    ) and "Le fichier est prêt." not in page.text:
        job.refresh_from_db()
        assert job.status != ExportStatus.FAILED, cluster.output()
        assert time.monotonic() < deadline, cluster.output()
        time.sleep(0.5)
    download = user.get(f"{node_b}/acme/exports/{job.pk}/download/", timeout=20)
    assert download.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(download.content))
    sales = [name for name in archive.namelist() if name.startswith("ventes/")]
    (kept_receipt,) = [name for name in archive.namelist() if name.startswith("achats/")]
    assert len(sales) == INVOICES_BEFORE + 1
    assert archive.read(f"ventes/{document.number}.pdf") == pdf.content
    assert archive.read(kept_receipt) == PDF
    assert "achats/sans-justificatif.csv" not in archive.namelist()
