"""Every setting is documented in the README; defaults and overrides work."""

from __future__ import annotations

from pathlib import Path

from core.settings import PROJECT_ROOT, get_settings, setting_names


def test_every_setting_is_documented_in_the_readme():
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    for name in setting_names():
        assert f"`{name}`" in readme, name


def test_defaults_and_overrides(monkeypatch):
    for name in setting_names():
        monkeypatch.delenv(name, raising=False)
    settings = get_settings()
    assert settings.db == PROJECT_ROOT / "data" / "observatoire.duckdb"
    assert settings.upload_password is None and settings.small_count_threshold == 5
    monkeypatch.setenv("OBSERVATOIRE_DB", "/tmp/x.duckdb")
    monkeypatch.setenv("OBSERVATOIRE_SMALL_COUNT_THRESHOLD", "10")
    settings = get_settings()
    assert settings.db == Path("/tmp/x.duckdb") and settings.small_count_threshold == 10


def test_readme_quick_start_is_make_run_and_make_test():
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    quick = readme.split("## Démarrage rapide", 1)[1].split("```bash", 1)[1].split("```", 1)[0]
    assert quick.split() == ["make", "run", "make", "test"]
