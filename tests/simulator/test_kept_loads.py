"""Loaded scenarios kept between runs: used again only while every file the load read, every
folder it listed and the code are as they were; never an error kept, never an entry another
user could have written."""

from __future__ import annotations

import importlib
import json
import os
import pickle
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import model_validator

import ivr_flows.kept_loads as kept_loads
import ivr_flows.yaml_cache as yaml_cache
import simulator.scenario as scenario_module
from ivr_flows.catalogue import CATALOGUE_PATH
from ivr_flows.yaml_cache import ENV
from simulator.ivr_setup import shipped_catalogue
from simulator.scenario import LoadedScenario, ScenarioError, load_scenario, with_duration

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "simulator" / "scenarios"


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv(ENV, str(folder))
    return folder


@pytest.fixture
def scenario(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The shipped M/M/c+M scenario and its center, copied; run from a folder of its own."""
    folder = tmp_path / "scenario"
    (folder / "centers").mkdir(parents=True)
    shutil.copy(SHIPPED / "mmc-plus-m.yaml", folder)
    shutil.copy(SHIPPED / "centers" / "single-queue.yaml", folder / "centers")
    monkeypatch.chdir(tmp_path)
    return folder / "mmc-plus-m.yaml"


def pickles(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*.pickle")) if folder.exists() else []


def refuse_loading(monkeypatch: pytest.MonkeyPatch) -> None:
    """From now on a load that parses or validates anything fails."""
    def parse(*args: object) -> None:
        raise AssertionError("loaded again")

    monkeypatch.setattr(scenario_module, "parse_scenario", parse)


def same(a: LoadedScenario, b: LoadedScenario) -> bool:
    assert a.ivr is not None and b.ivr is not None
    return (a.scenario == b.scenario and a.config == b.config and a.path == b.path
            and a.ivr.flows.keys() == b.ivr.flows.keys() and a.ivr.prompts == b.ivr.prompts
            and a.ivr.durations.seconds == b.ivr.durations.seconds)


def test_a_kept_load_is_the_load_and_is_used(cache: Path, scenario: Path, monkeypatch) -> None:
    monkeypatch.setenv(ENV, "")
    fresh = load_scenario(scenario)
    monkeypatch.setenv(ENV, str(cache))
    first = load_scenario(scenario)
    [entry] = pickles(cache)
    assert entry.stat().st_mode & 0o777 == 0o600 and same(first, fresh)
    refuse_loading(monkeypatch)
    again = load_scenario(scenario)
    assert same(again, fresh) and again.ivr is not None
    assert again.ivr.plugins.names() == fresh.ivr.plugins.names()


@pytest.mark.parametrize("change", ["scenario", "center", "manifest", "center folder"])
def test_a_changed_input_is_loaded_again(cache: Path, scenario: Path, tmp_path: Path,
                                         change: str) -> None:
    first = load_scenario(scenario)
    center = scenario.parent / "centers" / "single-queue.yaml"
    if change == "scenario":
        text = scenario.read_text(encoding="utf-8").replace("warmup_hours: 0.5", "warmup_hours: 0.25")
        scenario.write_text(text, encoding="utf-8")
    elif change == "center":
        center.write_text(center.read_text(encoding="utf-8").replace("target: 0.95", "target: 0.9"),
                          encoding="utf-8")
    elif change == "manifest":  # prompts built in the folder the run starts from
        manifest = tmp_path / "var" / "prompts" / "manifest.json"
        manifest.parent.mkdir(parents=True)
        manifest.write_text('{"prompts": [{"key": "welcome", "language": "zh", "seconds": 9.5}]}',
                            encoding="utf-8")
    else:  # the center a folder of files, and a file added to it
        folder = scenario.parent / "center"
        folder.mkdir()
        shutil.move(center, folder / "a.yaml")
        scenario.write_text(scenario.read_text(encoding="utf-8").replace(
            "center: centers/single-queue.yaml", "center: center"), encoding="utf-8")
        first = load_scenario(scenario)
        (folder / "b.yaml").write_text("transfers: {}\nsms: {bogus: 1}\n", encoding="utf-8")
        with pytest.raises(ScenarioError, match="b.yaml"):
            load_scenario(scenario)
        return
    again = load_scenario(scenario)
    assert again.ivr is not None and first.ivr is not None
    if change == "scenario":
        assert (first.scenario.warmup_hours, again.scenario.warmup_hours) == (0.5, 0.25)
    elif change == "center":
        assert (first.config.service_level.target, again.config.service_level.target) == (0.95, 0.9)
    else:
        assert first.ivr.prompts.startswith("estimate") and again.ivr.prompts.startswith("audio")
        assert again.ivr.durations.seconds[("welcome", "zh")] == 9.5


def test_a_load_that_fails_is_never_kept(cache: Path, scenario: Path) -> None:
    center = scenario.parent / "centers" / "single-queue.yaml"
    center.write_text(center.read_text(encoding="utf-8").replace("target: 0.95", "target: 9"),
                      encoding="utf-8")
    for _ in range(2):
        with pytest.raises(ScenarioError, match="single-queue.yaml:11: service_level.target"):
            load_scenario(scenario)
    assert pickles(cache) == []


def test_changed_code_is_loaded_again(cache: Path, scenario: Path, tmp_path: Path,
                                      monkeypatch) -> None:
    library = tmp_path / "library"
    library.mkdir()
    (library / "kept_loads_probe.py").write_text("X = 1\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(library))
    monkeypatch.setitem(sys.modules, "kept_loads_probe", importlib.import_module("kept_loads_probe"))
    load_scenario(scenario)  # kept with the code loaded then, this module among it
    refuse_loading(monkeypatch)
    load_scenario(scenario)
    (library / "kept_loads_probe.py").write_text("X = 22\n", encoding="utf-8")
    with pytest.raises(AssertionError, match="loaded again"):
        load_scenario(scenario)


@pytest.mark.parametrize("forged", ["folder", "entry", "corrupt"])
def test_an_entry_others_could_have_written_or_corrupt_is_not_used(
        cache: Path, scenario: Path, monkeypatch, forged: str) -> None:
    load_scenario(scenario)
    [entry] = pickles(cache)
    if forged == "folder":
        entry.parent.chmod(0o777)
    elif forged == "entry":
        entry.chmod(0o666)
    else:
        entry.write_bytes(entry.read_bytes()[:-20])
    refuse_loading(monkeypatch)
    with pytest.raises(AssertionError, match="loaded again"):
        load_scenario(scenario)


def test_the_same_file_named_otherwise_or_run_elsewhere_is_another_entry(
        cache: Path, scenario: Path, monkeypatch) -> None:
    load_scenario(scenario)
    monkeypatch.chdir(scenario.parent)
    loaded = load_scenario("mmc-plus-m.yaml")
    assert loaded.path == Path(".") and len(pickles(cache)) == 2


AUDITED = """
import os, sys
from pathlib import Path
from ivr_flows import inputs
from simulator.scenario import load_scenario

seen = {"open": set(), "os.listdir": set(), "os.scandir": set()}
places = [os.path.abspath(place) for place in sys.path]


def imports(path):
    # opened or listed by an import the load makes (code, and the folders it is looked for in),
    # or by pydantic looking for its plug-ins in every installed distribution, an editable
    # install of this checkout included (plug-ins watch validation, not change its values)
    return (path.endswith((".py", ".pyc", ".so")) or path in places
            or path.endswith((".dist-info/entry_points.txt", ".egg-info/entry_points.txt"))
            or path.startswith(tuple(places)) and os.path.exists(os.path.join(path, "__init__.py")))


def audit(event, args):
    if event in seen and isinstance(args[0], (str, Path)) and not imports(os.path.abspath(args[0])):
        seen[event].add(os.path.abspath(args[0]))


sys.addaudithook(audit)
with inputs.recording() as read:  # the first load: nothing the process keeps is filled yet
    load_scenario(Path(sys.argv[1]))
print(sorted(seen["open"] - set(read.files)))
print(sorted((seen["os.listdir"] | seen["os.scandir"]) - set(read.folders)))
"""


@pytest.mark.parametrize("name", ["jinan-day", "mmc-plus-m"])
def test_every_file_a_load_opens_or_folder_it_lists_is_noted(tmp_path: Path, name: str) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), ENV: ""}
    done = subprocess.run([sys.executable, "-c", AUDITED, str(SHIPPED / f"{name}.yaml")],
                          capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.splitlines() == ["[]", "[]"]


def test_a_kept_entry_holds_what_the_load_read(cache: Path, scenario: Path) -> None:
    shipped_catalogue()  # read before: the load uses the process's copy, and notes its file
    load_scenario(scenario)
    [entry] = pickles(cache)
    _, code, files, folders, _ = pickle.loads(entry.read_bytes())
    assert str(scenario) in files and str(scenario.parent / "centers" / "single-queue.yaml") in files
    assert str(CATALOGUE_PATH) in files
    assert str(ROOT / "ivr_flows" / "flows") in folders
    assert str(ROOT / "simulator" / "scenario.py") in code


def test_a_duration_override_keeps_the_scenario_s_checks() -> None:
    scenario = load_scenario("mmc-plus-m").scenario
    longer = with_duration(scenario, 2)
    assert longer == type(scenario).model_validate({**scenario.model_dump(), "duration_hours": 2.0})
    assert longer.duration_hours == 2.0 and isinstance(longer.duration_hours, float)
    for hours, message in ((0.5, "warmup_hours must be shorter than duration_hours"),
                           (24 * 366 + 1, "less than or equal to 8784"),
                           (float("inf"), "finite number")):
        with pytest.raises(ValueError, match=message):
            with_duration(scenario, hours)


def test_a_duration_override_honours_a_rule_the_model_gains() -> None:
    scenario = load_scenario("mmc-plus-m").scenario

    class Stricter(type(scenario)):
        @model_validator(mode="after")
        def _half_a_day(self) -> Stricter:
            if self.duration_hours > 12:
                raise ValueError("at most 12 hours")
            return self

    stricter = Stricter.model_validate({**scenario.model_dump(), "duration_hours": 8})
    assert with_duration(stricter, 12).duration_hours == 12.0
    with pytest.raises(ValueError, match="at most 12 hours"):
        with_duration(stricter, 13)


def test_kept_loads_have_their_own_smaller_limit(cache: Path, scenario: Path, monkeypatch) -> None:
    load_scenario(scenario)
    assert len(pickles(cache)) == 1 and len(list(cache.rglob("*.json"))) >= 2
    monkeypatch.setattr(kept_loads, "PER_FOLDER", 0)  # whatever is written is pruned at once
    scenario.write_text(scenario.read_text(encoding="utf-8") + "# changed\n", encoding="utf-8")
    load_scenario(scenario)
    assert pickles(cache) == [] and len(list(cache.rglob("*.json"))) >= 2


COUNTED = """
import sys
import simulator.scenario as scenario

calls = []
parse = scenario.parse_scenario
scenario.parse_scenario = lambda *args: calls.append(1) or parse(*args)
scenario.load_scenario(sys.argv[1])
print(len(calls))
"""


def copy_code(to: Path) -> Path:
    """The project's packages copied to ``to`` (a checkout of its own)."""
    for entry in ROOT.iterdir():
        if entry.is_dir() and (entry / "__init__.py").exists() and entry.name != "tests":
            shutil.copytree(entry, to / entry.name, ignore=shutil.ignore_patterns("__pycache__"))
    return to


def loads(code: Path, scenario: Path, cache: Path) -> int:
    """How many times a run of ``code`` loaded ``scenario`` rather than using a kept load."""
    env = {**os.environ, "PYTHONPATH": str(code), ENV: str(cache)}
    done = subprocess.run([sys.executable, "-c", COUNTED, str(scenario)], capture_output=True,
                          text=True, env=env, cwd=scenario.parent, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return int(done.stdout)


def test_each_checkout_keeps_its_own_loads(cache: Path, scenario: Path, tmp_path: Path) -> None:
    first, second = copy_code(tmp_path / "a"), copy_code(tmp_path / "b")
    assert loads(first, scenario, cache) == 1 and loads(first, scenario, cache) == 0
    assert loads(second, scenario, cache) == 1 and len(pickles(cache)) == 2


def test_code_reached_through_a_symlink_is_watched_to_its_deep_modules(
        cache: Path, scenario: Path, tmp_path: Path) -> None:
    code = copy_code(tmp_path / "code")
    (tmp_path / "link").symlink_to(code, target_is_directory=True)
    assert loads(tmp_path / "link", scenario, cache) == 1
    assert loads(tmp_path / "link", scenario, cache) == 0
    deep = code / "simulator" / "scenario.py"
    deep.write_text(deep.read_text(encoding="utf-8") + "# changed\n", encoding="utf-8")
    assert loads(tmp_path / "link", scenario, cache) == 1


def test_another_package_s_reinstalled_files_are_a_change(cache: Path, scenario: Path, tmp_path: Path,
                                                         monkeypatch) -> None:
    library = tmp_path / "library"
    (library / "kept_loads_package").mkdir(parents=True)
    (library / "kept_loads_package" / "__init__.py").write_text("X = 1\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(library))
    monkeypatch.setitem(sys.modules, "kept_loads_package", importlib.import_module("kept_loads_package"))
    load_scenario(scenario)
    refuse_loading(monkeypatch)
    load_scenario(scenario)
    (library / "kept_loads_package" / "_speedups.so").write_bytes(b"another build")
    os.utime(library / "kept_loads_package", ns=(1, 1))  # its folder's time changes, within a clock tick too
    with pytest.raises(AssertionError, match="loaded again"):
        load_scenario(scenario)


def swap_once_examined(monkeypatch: pytest.MonkeyPatch, entry: Path, forged: bytes) -> list[bool]:
    """Once anything takes the status of ``entry`` (by its path or an open descriptor), put a
    forged file anyone could have written in its place, as a swap racing the check would."""
    inode, swapped = entry.stat().st_ino, []

    def swapping(status_of):
        def status(*args, **kwargs):
            found = status_of(*args, **kwargs)
            if found.st_ino == inode and not swapped:
                swapped.append(True)
                forgery = entry.with_name("forgery")
                forgery.write_bytes(forged)
                forgery.chmod(0o666)
                os.replace(forgery, entry)
            return found
        return status

    for name in ("lstat", "stat", "fstat"):
        monkeypatch.setattr(os, name, swapping(getattr(os, name)))
    return swapped


@pytest.mark.parametrize("kind", ["parse", "load"])
def test_an_entry_swapped_after_its_check_is_not_what_is_read(cache: Path, monkeypatch,
                                                              kind: str) -> None:
    if kind == "parse":
        def use() -> object:
            return yaml_cache.cached_parse("data", "a: 1\n", lambda text: {"a": 1}, lambda v: v)
        use()
        [entry] = cache.rglob("*.json")
        kept = json.loads(entry.read_bytes())
        forged = json.dumps({"key": kept["key"], "value": "forged"}).encode()
    else:
        def use() -> object:
            return kept_loads.kept_load("probe", "name", lambda: "real")
        use()
        [entry] = pickles(cache)
        *kept, _ = pickle.loads(entry.read_bytes())
        forged = pickle.dumps((*kept, pickle.dumps("forged")))
    swapped = swap_once_examined(monkeypatch, entry, forged)
    assert use() in ({"a": 1}, "real") and swapped == [True]
