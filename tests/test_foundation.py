from pathlib import Path

import pytest
from typer.testing import CliRunner

from assistant.cli import app
from assistant.config import Settings, load_settings
from assistant.data.schema import TABLES, migrate
from assistant.errors import UserError
from assistant.workspace import Workspace
from tools.safety import redact_pii


def test_settings_precedence_explicit_over_env_over_default(monkeypatch):
    assert Settings().data_dir == Path("workspace")
    monkeypatch.setenv("INSIGHT_DATA_DIR", "/tmp/from-env")
    assert Settings().data_dir == Path("/tmp/from-env")
    assert load_settings(data_dir=Path("/tmp/explicit")).data_dir == Path("/tmp/explicit")
    assert load_settings(data_dir=None).data_dir == Path("/tmp/from-env")


def test_openai_variables_are_read_without_prefix(monkeypatch):
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:1234/v1")
    assert Settings().openai_base_url == "http://127.0.0.1:1234/v1"


def test_migrations_create_every_table_once(empty_ws):
    tables = {r[0] for r in empty_ws.conn.execute("SHOW TABLES").fetchall()}
    assert set(TABLES) <= tables
    assert migrate(empty_ws.conn) == migrate(empty_ws.conn)
    versions = empty_ws.conn.execute("SELECT count(*) FROM schema_version").fetchone()[0]
    assert versions == len(__import__("assistant.data.schema", fromlist=["MIGRATIONS"]).MIGRATIONS)


def test_primary_keys_reject_duplicates(empty_ws):
    empty_ws.conn.execute("INSERT INTO products (product_id, title) VALUES ('P1', 'a')")
    with pytest.raises(Exception, match="(?i)constraint|duplicate"):
        empty_ws.conn.execute("INSERT INTO products (product_id, title) VALUES ('P1', 'b')")


def test_missing_workspace_is_a_clear_user_error(tmp_path):
    with pytest.raises(UserError, match="no workspace store"):
        Workspace.open(tmp_path / "nothing-here")


def test_cli_reports_missing_workspace_without_traceback(tmp_path):
    result = CliRunner().invoke(app, ["status", "--data-dir", str(tmp_path / "none")])
    assert result.exit_code == 2
    assert "no workspace store" in result.output
    assert "Traceback" not in result.output


def test_writer_lock_refuses_a_second_writer(empty_ws):
    from assistant.errors import WorkspaceBusy

    other = Workspace(empty_ws.settings)
    with empty_ws.writer_lock():
        with pytest.raises(WorkspaceBusy, match="another process"):
            with other.writer_lock():
                pass


@pytest.mark.parametrize(
    "text, expected",
    [
        ("mail me at john.doe@example.com", "mail me at [email]"),
        ("call +1 415-555-0199 today", "call [phone] today"),
        ("call 020 7946 0958 please", "call [phone] please"),
        ("card 4111 1111 1111 1111 ok", "card [card] ok"),
        ("model WH-1000XM4 cost 299.99 in 2023", "model WH-1000XM4 cost 299.99 in 2023"),
        ("order 12345678 arrived", "order 12345678 arrived"),
        ("card 4111 1111 1111 1112 mistyped", "card [card] mistyped"),
    ],
)
def test_redact_pii(text, expected):
    assert redact_pii(text) == expected
