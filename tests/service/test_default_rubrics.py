"""The bundled default rubrics at start: published, activated, upgraded, never overriding a choice."""

from __future__ import annotations

from pathlib import Path

import yaml
from sqlalchemy import select

from qa_service import rubrics
from qa_service.db.session import session_scope
from qa_service.db.tables import Rubric
from qa_service.service import prepare
from tests.conftest import ROOT, ZH_DEFAULT_VERSION
from tests.service.conftest import service_settings

ZH = (ROOT / "rubric" / "zh-CN.default.yaml").read_text(encoding="utf-8")
EN = (ROOT / "rubric" / "en-US.default.yaml").read_text(encoding="utf-8")
EN_DEFAULT = f"en-US.default@{yaml.safe_load(EN)['version']}"


def _bundle(directory: Path, zh: str, en: str = EN) -> None:
    directory.mkdir(exist_ok=True)
    (directory / "zh-CN.default.yaml").write_text(zh, encoding="utf-8")
    (directory / "en-US.default.yaml").write_text(en, encoding="utf-8")


def _versioned(text: str, version: int) -> str:
    return text.replace(f"version: {ZH_DEFAULT_VERSION}", f"version: {version}", 1)


def _active(db_url: str) -> dict[str, str]:
    with session_scope(db_url) as session:
        rows = session.scalars(select(Rubric).where(Rubric.active.is_(True))).all()
        return {r.language: f"{r.rubric_id}@{r.version}" for r in rows}


def test_first_start_publishes_and_activates_both_defaults(tmp_path, db_url):
    settings = service_settings(tmp_path, db_url)
    prepare(settings)
    assert _active(db_url) == {"zh": f"zh-CN.default@{ZH_DEFAULT_VERSION}", "en": EN_DEFAULT}


def test_an_upgrade_activates_the_newer_default_and_keeps_the_older_for_rescoring(tmp_path, db_url):
    bundle = tmp_path / "rubric"
    settings = service_settings(tmp_path, db_url).model_copy(update={"rubric_dir": bundle})
    _bundle(bundle, _versioned(ZH, 1))
    prepare(settings)
    assert _active(db_url)["zh"] == "zh-CN.default@1"

    _bundle(bundle, _versioned(ZH.replace("pass_threshold: 80", "pass_threshold: 75", 1), 2))
    with session_scope(db_url) as session:
        report = rubrics.seed_defaults(session, bundle)
    assert report.activated == ["zh-CN.default@2"] and report.refused == []
    assert _active(db_url)["zh"] == "zh-CN.default@2"
    with session_scope(db_url) as session:
        assert rubrics.get(session, "zh-CN.default", 1).active is False


def test_a_rubric_the_admin_activated_is_not_replaced_by_a_newer_default(tmp_path, db_url):
    bundle = tmp_path / "rubric"
    settings = service_settings(tmp_path, db_url).model_copy(update={"rubric_dir": bundle})
    _bundle(bundle, _versioned(ZH, 1))
    prepare(settings)
    own = ZH.replace("id: zh-CN.default", "id: zh-CN.ours", 1)
    with session_scope(db_url) as session:
        row, _ = rubrics.publish(session, own)
        rubrics.activate(session, row.rubric_id, row.version)

    _bundle(bundle, _versioned(ZH.replace("pass_threshold: 80", "pass_threshold: 75", 1), 2))
    prepare(settings)
    assert _active(db_url)["zh"].startswith("zh-CN.ours@")
    with session_scope(db_url) as session:
        assert rubrics.get(session, "zh-CN.default", 2).active is False  # published, for rescoring


def test_an_edited_default_that_kept_its_version_is_refused_and_the_other_still_published(tmp_path, db_url):
    bundle = tmp_path / "rubric"
    settings = service_settings(tmp_path, db_url).model_copy(update={"rubric_dir": bundle})
    _bundle(bundle, ZH, en="")
    (bundle / "en-US.default.yaml").unlink()
    prepare(settings)

    _bundle(bundle, ZH.replace("pass_threshold: 80", "pass_threshold: 75", 1))
    with session_scope(db_url) as session:
        report = rubrics.seed_defaults(session, bundle)
    assert len(report.refused) == 1 and "raise the version" in report.refused[0]
    assert report.activated == [EN_DEFAULT]
    assert _active(db_url) == {"zh": f"zh-CN.default@{ZH_DEFAULT_VERSION}", "en": EN_DEFAULT}
