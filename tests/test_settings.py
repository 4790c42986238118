"""Where the data folder comes from: --data, SUPERCON3D_DATA, the config file, the checkout."""

from __future__ import annotations

import sys

import pytest
from typer.testing import CliRunner

from supercon3d import settings
from supercon3d.cli.main import app
from supercon3d.settings import DATA_ENV, DataFolderError, cache_dir, config_file, data_dir


@pytest.fixture
def config_home(tmp_path, monkeypatch):
    """No SUPERCON3D_DATA, an empty XDG config folder, a checkout default under tmp_path."""
    monkeypatch.delenv(DATA_ENV, raising=False)
    home = tmp_path / "config"
    home.mkdir()
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home))
    checkout_data = tmp_path / "shared" / "datasets"
    checkout_data.mkdir(parents=True)
    monkeypatch.setattr(settings, "CHECKOUT_DATA_DIR", checkout_data)
    return home


def write_config(text: str):
    path = config_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def folder(parent, name: str):
    path = parent / name
    path.mkdir()
    return path


def test_config_file_honours_xdg_config_home(config_home):
    assert config_file() == config_home / "supercon3d" / "config.toml"


def test_explicit_argument_comes_first(config_home, tmp_path, monkeypatch):
    monkeypatch.setenv(DATA_ENV, str(folder(tmp_path, "from_env")))
    write_config(f'data = "{folder(tmp_path, "from_config")}"\n')
    assert data_dir(folder(tmp_path, "explicit")) == (tmp_path / "explicit").resolve()


def test_environment_variable_comes_before_the_config_file(config_home, tmp_path, monkeypatch):
    monkeypatch.setenv(DATA_ENV, str(folder(tmp_path, "from_env")))
    write_config(f'data = "{folder(tmp_path, "from_config")}"\n')
    assert data_dir() == (tmp_path / "from_env").resolve()


def test_config_file_comes_before_the_checkout_default(config_home, tmp_path):
    write_config(f'# where the datasets live\ndata = "{folder(tmp_path, "from_config")}"\n')
    assert data_dir() == (tmp_path / "from_config").resolve()


def test_relative_path_in_the_config_file_is_relative_to_the_file(config_home):
    config = write_config('data = "datasets"\n')
    expected = folder(config.parent, "datasets")
    assert data_dir() == expected.resolve()


def test_config_file_without_the_key_falls_through(config_home):
    write_config('cache = "/elsewhere"\n')
    assert data_dir() == settings.CHECKOUT_DATA_DIR.resolve()


def test_checkout_default_applies_only_in_a_source_checkout(config_home, monkeypatch):
    assert settings.running_from_checkout()  # the tests run from the repository
    assert data_dir() == settings.CHECKOUT_DATA_DIR.resolve()
    monkeypatch.setattr(settings, "running_from_checkout", lambda: False)
    with pytest.raises(DataFolderError) as error:
        data_dir()
    message = str(error.value)
    assert "--data" in message and DATA_ENV in message and str(config_file()) in message
    assert "\n" not in message


def test_an_installed_package_is_not_a_checkout(tmp_path, monkeypatch):
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "supercon3d"\n')
    monkeypatch.setattr(settings, "REPOSITORY_ROOT", tmp_path)
    assert not settings.running_from_checkout()


def test_missing_folder_names_the_path_and_the_setting(config_home, tmp_path, monkeypatch):
    monkeypatch.setenv(DATA_ENV, str(tmp_path / "nowhere"))
    with pytest.raises(DataFolderError, match=f"nowhere: data folder not found.*{DATA_ENV}"):
        data_dir()


@pytest.mark.parametrize(
    ("text", "reason"), [("data = [unclosed\n", "not a valid TOML"), ("data = 3\n", "string")]
)
def test_bad_config_file_is_an_error_naming_it(config_home, text, reason):
    path = write_config(text)
    with pytest.raises(DataFolderError, match=reason) as error:
        data_dir()
    assert str(error.value).startswith(str(path))


def test_a_config_file_that_is_not_utf8_is_one_line_naming_it(config_home):
    path = write_config("")
    path.write_bytes(b'data = "/d\xe9j\xe0"\n')  # Latin-1, as an old editor saves it
    with pytest.raises(DataFolderError, match="byte 0xe9 at offset 10 is not UTF-8") as error:
        data_dir()
    assert str(error.value).startswith(str(path)) and "\n" not in str(error.value)
    result = CliRunner().invoke(app, ["data", "sources"])
    assert result.exit_code == 1 and not isinstance(result.exception, UnicodeDecodeError)
    assert result.output.strip() == f"error: {error.value}"


def test_python_310_reads_the_single_key_without_tomllib(config_home, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "tomllib", None)  # import tomllib fails as on Python 3.10
    write_config(f"# datasets\ndata = '{folder(tmp_path, 'from_config')}'\n")
    assert data_dir() == (tmp_path / "from_config").resolve()


def test_cache_folder_from_environment(tmp_path, monkeypatch):
    monkeypatch.setenv(settings.CACHE_ENV, str(tmp_path / "cache"))
    assert cache_dir() == tmp_path / "cache" and (tmp_path / "cache").is_dir()


def test_cache_folder_honours_xdg_cache_home(tmp_path, monkeypatch):
    monkeypatch.delenv(settings.CACHE_ENV, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == tmp_path / "xdg" / "supercon3d" and cache_dir().is_dir()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="XDG folders are Linux's")
def test_config_and_cache_default_to_the_home_folder_without_xdg(tmp_path, monkeypatch):
    for name in ("XDG_CONFIG_HOME", "XDG_CACHE_HOME", settings.CACHE_ENV):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert config_file() == tmp_path / ".config" / "supercon3d" / "config.toml"
    assert cache_dir() == tmp_path / ".cache" / "supercon3d"
