"""The public records (plain classes, no dataclasses on the start-up path) keep the behaviour of the
dataclasses they replaced: documented constructors, equality, repr, hashing and immutability."""

from __future__ import annotations

import copy
import pickle

import pytest

from comfyui_skill import Command, Event, Output, Result, ServerConfig, ServerKind, Setting
from comfyui_skill.plugins import PluginRecord


def test_command_constructor_defaults_equality_and_repr() -> None:
    positional = Command("hello", "say hello", None, "pkg.mod:run", "Say it.", ("hi",))
    keywords = Command(name="hello", help="say hello", run="pkg.mod:run", description="Say it.", aliases=("hi",))
    assert positional == keywords and hash(positional) == hash(keywords)
    assert positional != Command("hello", "say hello")
    assert Command("x", "y").aliases == () and Command("x", "y").configure is None
    assert repr(Command("x", "y")) == ("Command(name='x', help='y', configure=None, run=None, "
                                       "description=None, aliases=())")
    assert positional != ("hello", "say hello", None, "pkg.mod:run", "Say it.", ("hi",))  # not a tuple


@pytest.mark.parametrize("record", [
    Command("x", "y"), ServerKind("k", "a kind", "pkg.mod:Backend"), Setting("a.b"), Event("started"),
])
def test_frozen_records_refuse_changes_and_survive_copies(record: object) -> None:
    field = type(record)._fields[0]  # type: ignore[attr-defined]
    with pytest.raises(AttributeError):
        setattr(record, field, "changed")
    with pytest.raises(AttributeError):
        delattr(record, field)
    with pytest.raises(AttributeError):
        record.unknown = 1  # type: ignore[attr-defined]
    assert copy.copy(record) == record
    assert copy.deepcopy(record) == record
    assert pickle.loads(pickle.dumps(record)) == record


def test_setting_and_server_kind_defaults() -> None:
    setting = Setting("run.output_dir")
    assert (setting.type, setting.default, setting.help, setting.env, setting.secret, setting.scope,
            setting.choices) == (str, None, "", None, False, "global", ())
    assert Setting("k", int, 3, "h", "ENV", True, "server", (1, 3)) == Setting(
        key="k", type=int, default=3, help="h", env="ENV", secret=True, scope="server", choices=(1, 3))
    assert ServerKind("local", "ComfyUI", "m:C").default_url is None
    assert {Setting("a"), Setting("a"), Setting("b")} == {Setting("a"), Setting("b")}


def test_event_checks_its_type_and_defaults_data_and_time() -> None:
    with pytest.raises(ValueError, match="unknown event type"):
        Event("nonsense")
    first, second = Event("started"), Event("started")
    assert first.data == {} and first.data is not second.data  # a fresh dict each time
    assert first.time > 0
    assert Event("done", "p1", "local", {"outputs": []}, 12.5) == Event(
        type="done", prompt_id="p1", server="local", data={"outputs": []}, time=12.5)
    assert Event("done", time=1.0).to_json()["time"] == 1.0


def test_result_output_and_server_config_are_mutable_and_compare_by_value() -> None:
    result = Result({"a": 1})
    assert result == Result(data={"a": 1}, text=None, exit_code=0, error=None)
    result.exit_code = 4
    assert result.exit_code == 4 and result != Result({"a": 1})
    assert repr(Result(exit_code=0)) == "Result(data=None, text=None, exit_code=0, error=None)"
    output = Output()
    output.quiet = True
    assert output.mode == "text" and output.quiet and output.stdout is not None
    server = ServerConfig("gpu", "http://gpu:8188")
    assert server.kind == "local" and server.options == {} and not server.one_off
    assert "token" in server.secret_keys
    server.one_off = True
    assert server == ServerConfig("gpu", "http://gpu:8188", one_off=True)
    with pytest.raises(TypeError):
        hash(server)  # mutable records are unhashable, as their dataclasses were
    assert PluginRecord("p", "m").hooks == [] and PluginRecord("p", "m").hooks is not PluginRecord("p", "m").hooks
