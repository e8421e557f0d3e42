"""The Hangul-font setup for JupyterLab (issue 26.5) keeps the user's files and can be run again.

The browser test (tests/browser/test_hangul_in_jupyterlab.py) shows JupyterLab drawing Hangul with it;
here, what the command writes into a Jupyter config folder.
"""

from __future__ import annotations

import json

from course_utils.classroom import hangul_font, reading


def test_install_writes_the_fonts_the_css_and_the_switch(tmp_path):
    written = hangul_font.install(tmp_path)
    assert {p.name for p in written} == {
        *reading.HANGUL_FONT_FILES.values(),
        "custom.css",
        "jupyter_lab_config.json",
    }
    css = (tmp_path / "custom" / "custom.css").read_text(encoding="utf-8")
    for name in reading.HANGUL_FONT_FILES.values():
        assert f'url("fonts/{name}")' in css and (tmp_path / "custom" / "fonts" / name).stat().st_size > 10**6
    assert (
        css.count("unicode-range: U+1100-11FF") == 2 and '--jp-content-font-family: "Course Hangul",' in css
    )
    assert json.loads((tmp_path / "jupyter_lab_config.json").read_text()) == {"LabApp": {"custom_css": True}}


def test_the_users_css_and_settings_survive_and_a_rerun_changes_nothing(tmp_path):
    (tmp_path / "custom").mkdir()
    (tmp_path / "custom" / "custom.css").write_text(".jp-Cell { margin: 0; }", encoding="utf-8")
    settings = {"LabApp": {"news_url": None}, "ServerApp": {"port": 9999}}
    (tmp_path / "jupyter_lab_config.json").write_text(json.dumps(settings), encoding="utf-8")
    hangul_font.install(tmp_path)
    once = (tmp_path / "custom" / "custom.css").read_text(encoding="utf-8")
    hangul_font.install(tmp_path)
    assert (tmp_path / "custom" / "custom.css").read_text(encoding="utf-8") == once
    assert once.startswith(".jp-Cell { margin: 0; }\n") and once.count(hangul_font.BEGIN) == 1
    config = json.loads((tmp_path / "jupyter_lab_config.json").read_text())
    assert config == {"LabApp": {"news_url": None, "custom_css": True}, "ServerApp": {"port": 9999}}


def test_a_config_that_is_not_json_is_left_alone_with_one_line(tmp_path, capsys, monkeypatch):
    (tmp_path / "jupyter_lab_config.json").write_text("{not json", encoding="utf-8")
    monkeypatch.setenv("JUPYTER_CONFIG_DIR", str(tmp_path))
    assert hangul_font.main([]) == 2
    message = capsys.readouterr().err
    assert message.startswith("error: ") and message.count("\n") == 1 and "not valid JSON" in message
    assert (tmp_path / "jupyter_lab_config.json").read_text() == "{not json"
    assert not (tmp_path / "custom").exists(), "nothing is written when the config cannot be kept"
